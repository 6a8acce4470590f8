import Foundation
import XCTest
@testable import IGEval

let vocClasses = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                  "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
                  "train", "tvmonitor"]

final class ClassMapTests: XCTestCase {
    func testAssetClassMap() throws {
        let cm = try ClassMap(path: vocRoot + "/classmap-imagenet.json")
        for c in vocClasses { XCTAssertNotNil(cm.mapping[c], "missing \(c)") }
        for (name, idx) in cm.mapping {
            XCTAssertTrue(idx.allSatisfy { (0...999).contains($0) }, name)
            XCTAssertEqual(Set(idx).count, idx.count, "duplicates in \(name)")
        }
        XCTAssertEqual(cm.unmapped, ["person"])
        XCTAssertEqual(cm.classes(for: "person"), [])
        XCTAssertEqual(cm.classes(for: "cat"), [281, 282, 283, 284, 285])
        XCTAssertEqual(cm.classes(for: "dog"), Array(151...268))
        XCTAssertEqual(cm.classes(for: "bird").count, 18 + 21 + 20)
        XCTAssertEqual(cm.classes(for: "aeroplane"), [404, 895])       // airliner, warplane
        XCTAssertEqual(cm.classes(for: "quokka"), [104])               // wallaby
        XCTAssertTrue(cm.classes(for: "tvmonitor").contains(851))      // television
        XCTAssertEqual(cm.classes(for: "nothing"), [])
        // Every class appearing in the asset annotations except person has ImageNet classes.
        let ds = try VOCDataset(root: vocRoot, split: "test")
        for item in ds.items {
            for o in try ds.annotation(for: item).objects where o.name != "person" {
                XCTAssertFalse(cm.classes(for: o.name).isEmpty, o.name)
            }
        }
    }

    func testTargetPicksHighestScoringClass() throws {
        let cm = try ClassMap(path: vocRoot + "/classmap-imagenet.json")
        var scores = [Float](repeating: 0, count: 1000)
        scores[282] = 0.2; scores[285] = 0.3; scores[7] = 0.9
        XCTAssertEqual(cm.target(for: "cat", scores: scores), 285)
        XCTAssertNil(cm.target(for: "person", scores: scores))
        XCTAssertNil(cm.target(for: "cat", scores: [0.1, 0.2]))
    }

    func testMalformedClassMaps() throws {
        let d = try tempDir()
        let ok = d + "/ok.json"
        try write("{\"a\": [0, 1, 999], \"_none\": [\"b\"], \"b\": [], \"_comment\": \"x\"}", ok)
        let cm = try ClassMap(path: ok)
        XCTAssertEqual(cm.classes(for: "a"), [0, 1, 999])
        XCTAssertEqual(cm.unmapped, ["b"])
        for (name, text) in [("range", "{\"a\": [1000]}"), ("neg", "{\"a\": [-1]}"), ("str", "{\"a\": \"x\"}"),
                             ("frac", "{\"a\": [1.5]}"), ("json", "{\"a\": [1,"), ("top", "[1, 2]")] {
            let p = d + "/\(name).json"
            try write(text, p)
            XCTAssertThrowsError(try ClassMap(path: p), name) { e in
                XCTAssertTrue("\(e)".contains(p), "\(name): \(e)")
            }
        }
        XCTAssertThrowsError(try ClassMap(path: d + "/none.json")) { e in
            XCTAssertEqual(e as? EvalError, .fileNotFound(d + "/none.json"))
        }
    }
}
