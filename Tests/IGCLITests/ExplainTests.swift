import Foundation
import XCTest

/// `igcam explain`: files written, their formats, the JSON, class selection.
final class ExplainTests: XCTestCase {
    let cat = Igcam.asset("photos/cat.png")

    func testGradCAMWritesPNGAndNPYAndJSON() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["explain", cat, "--method", "grad-cam", "--output", "o.png", "--raw", "m.npy", "--json"], cwd: dir)
        XCTAssertEqual(listing(dir), ["m.npy", "o.png"], "exactly the two files, no temporaries")
        // The bundled model centre-crops: the overlay covers the central 266x266 square of the 400x266 photo.
        let size = try pngSize(dir.appendingPathComponent("o.png").path)
        XCTAssertEqual(size?.width, 266); XCTAssertEqual(size?.height, 266)
        let npy = try NPYFile(path: dir.appendingPathComponent("m.npy").path)
        XCTAssertEqual(npy.descr, "<f4")
        XCTAssertFalse(npy.fortranOrder)
        XCTAssertEqual(npy.shape, [7, 7])
        XCTAssertEqual(npy.values.count, 49)
        XCTAssertTrue(npy.values.allSatisfy { $0.isFinite && $0 >= 0 }, "Grad-CAM is ReLU'd: \(npy.values)")
        XCTAssertGreaterThan(npy.values.max() ?? 0, 0, "an all-zero map")
        XCTAssertGreaterThan(Set(npy.values).count, 5, "a flat map")

        guard let d = try parseJSON(r) as? [String: Any] else { return XCTFail(r.summary) }
        XCTAssertEqual(d["method"] as? String, "grad-cam")
        XCTAssertEqual(d["class"] as? Int, 285, "top-1 for the cat photo is Egyptian cat")
        XCTAssertEqual(d["label"] as? String, "Egyptian cat")
        XCTAssertNotNil(d["score"] as? Double)
        XCTAssertEqual(d["map_shape"] as? [Int], [7, 7])
        XCTAssertGreaterThan((d["seconds"] as? Double) ?? -1, 0)
        XCTAssertNil(d["steps"], "steps belong to Integrated Grad-CAM only")
    }

    func testStretchOverlayCoversTheWholePhoto() throws {
        let dir = try makeTempDir(self)
        try Igcam.ok(["explain", cat, "--method", "grad-cam", "--resize", "stretch", "--output", "o.png",
                      "--colormap", ColorMapName.any, "--opacity", "0.3"], cwd: dir)
        let size = try pngSize(dir.appendingPathComponent("o.png").path)
        XCTAssertEqual(size?.width, 400); XCTAssertEqual(size?.height, 266)
    }

    func testSeveralMethodsWriteSuffixedFiles() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["explain", cat, "--method", "grad-cam,hires-cam", "--method", "layer-cam",
                              "--output", "o.png", "--raw", "m.npy", "--json"], cwd: dir)
        let methods = ["grad-cam", "hires-cam", "layer-cam"]
        XCTAssertEqual(listing(dir), (methods.map { "m-\($0).npy" } + methods.map { "o-\($0).png" }).sorted())
        var maps = [[Float]]()
        for m in methods {
            XCTAssertNotNil(try pngSize(dir.appendingPathComponent("o-\(m).png").path))
            let npy = try NPYFile(path: dir.appendingPathComponent("m-\(m).npy").path)
            XCTAssertEqual(npy.shape, [7, 7]); XCTAssertEqual(npy.descr, "<f4")
            maps.append(npy.values)
        }
        XCTAssertNotEqual(maps[0], maps[1], "Grad-CAM and HiResCAM gave the same map")
        guard let docs = try parseJSON(r) as? [[String: Any]] else { return XCTFail(r.summary) }
        XCTAssertEqual(docs.compactMap { $0["method"] as? String }, methods)
        XCTAssertEqual(Set(docs.compactMap { $0["class"] as? Int }), [285], "one class for every method")
    }

    func testClassByIndexAndByName() throws {
        let dir = try makeTempDir(self)
        for (arg, label) in [("281", "tabby"), ("tabby", "tabby"), ("Egyptian cat", "Egyptian cat")] {
            let r = try Igcam.ok(["explain", cat, "--method", "grad-cam", "--class", arg, "--json"], cwd: dir)
            guard let d = try parseJSON(r) as? [String: Any] else { XCTFail(r.summary); continue }
            XCTAssertEqual(d["label"] as? String, label, r.summary)
            XCTAssertEqual(d["class"] as? Int, label == "tabby" ? 281 : 285, r.summary)
        }
        XCTAssertEqual(listing(dir), [], "JSON only: no files")
    }

    func testIntegratedGradCAMJSONHasItsOptions() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["explain", cat, "--method", "integrated-grad-cam", "--steps", "4", "--baseline", "black",
                              "--reading", "figure", "--raw", "ig.npy", "--json"], cwd: dir)
        guard let d = try parseJSON(r) as? [String: Any] else { return XCTFail(r.summary) }
        XCTAssertEqual(d["method"] as? String, "integrated-grad-cam")
        XCTAssertEqual(d["steps"] as? Int, 4)
        XCTAssertEqual(d["baseline"] as? String, "black")
        XCTAssertEqual(d["reading"] as? String, "figure")
        XCTAssertEqual(d["map_shape"] as? [Int], [7, 7])
        let npy = try NPYFile(path: dir.appendingPathComponent("ig.npy").path)
        XCTAssertEqual(npy.shape, [7, 7])
        XCTAssertTrue(npy.values.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(npy.values.max() ?? 0, 0)
    }

    func testTextOutputNamesMethodClassAndFiles() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["explain", cat, "--method", "gc", "--raw", "m.npy"], cwd: dir)
        XCTAssertTrue(r.stdout.contains("grad-cam"), r.summary)
        XCTAssertTrue(r.stdout.contains("285"), r.summary)
        XCTAssertTrue(r.stdout.contains("m.npy"), r.summary)
        XCTAssertTrue(r.stdout.contains("7x7"), r.summary)
    }
}

/// A colour map other than the default, by name.
enum ColorMapName { static let any = "viridis" }
