import Foundation
import XCTest

/// `igcam evaluate` and `igcam score`: the per-image CSV row must be what
/// explain + score give for the same image and class; skips and --resume.
final class EvaluateScoreTests: XCTestCase {
    let voc = URL(fileURLWithPath: Igcam.asset("voc"))
    let fm = FileManager.default

    /// A VOC root in a temp dir whose `test` split lists `ids`; Annotations,
    /// JPEGImages and the class map link to the bundled set unless overridden.
    func makeRoot(_ ids: [String], in dir: URL, annotations: [String]? = nil, extraImages: [String: String] = [:]) throws -> URL {
        let root = dir.appendingPathComponent("voc")
        try fm.createDirectory(at: root.appendingPathComponent("ImageSets/Main"), withIntermediateDirectories: true)
        try Data(ids.map { $0 + "\n" }.joined().utf8).write(to: root.appendingPathComponent("ImageSets/Main/test.txt"))
        try fm.createSymbolicLink(at: root.appendingPathComponent("classmap-imagenet.json"),
                                  withDestinationURL: voc.appendingPathComponent("classmap-imagenet.json"))
        if let annotations {
            let a = root.appendingPathComponent("Annotations")
            try fm.createDirectory(at: a, withIntermediateDirectories: true)
            for id in annotations {
                try fm.createSymbolicLink(at: a.appendingPathComponent(id + ".xml"),
                                          withDestinationURL: voc.appendingPathComponent("Annotations/\(id).xml"))
            }
        } else {
            try fm.createSymbolicLink(at: root.appendingPathComponent("Annotations"),
                                      withDestinationURL: voc.appendingPathComponent("Annotations"))
        }
        if extraImages.isEmpty {
            try fm.createSymbolicLink(at: root.appendingPathComponent("JPEGImages"),
                                      withDestinationURL: voc.appendingPathComponent("JPEGImages"))
        } else {
            let j = root.appendingPathComponent("JPEGImages")
            try fm.createDirectory(at: j, withIntermediateDirectories: true)
            for (name, source) in extraImages {
                try fm.createSymbolicLink(at: j.appendingPathComponent(name), withDestinationURL: voc.appendingPathComponent("JPEGImages/" + source))
            }
        }
        return root
    }

    /// The data lines of a results CSV (no field here needs quoting), split on commas, keyed by header name.
    func csvRows(_ path: URL) throws -> [[String: String]] {
        // Header lines (# key=value: the configuration) come first.
        let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        guard let header = lines.first?.split(separator: ",").map(String.init) else { return [] }
        return lines.dropFirst().map { l in
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(f.count, header.count, "ragged CSV line: \(l)")
            return Dictionary(uniqueKeysWithValues: zip(header, f))
        }
    }

    /// One evaluate run (the costly part) checked three ways: the row equals
    /// explain + score, the unannotated image is a counted skip, --resume keeps it.
    func testEvaluateRowMatchesScoreSkipsUnannotatedAndResumes() throws {
        let dir = try makeTempDir(self)
        // "ghost" has an image but no annotation; chelsea (a cat) maps to ImageNet classes.
        let root = try makeRoot(["ghost", "skimage_chelsea", "skimage_coffee"], in: dir,
                                annotations: ["skimage_chelsea", "skimage_coffee"],
                                extraImages: ["ghost.jpg": "skimage_coffee.jpg", "skimage_chelsea.jpg": "skimage_chelsea.jpg",
                                              "skimage_coffee.jpg": "skimage_coffee.jpg"])
        let args = ["evaluate", "--voc", root.path, "--methods", "grad-cam", "--limit", "1",
                    "--results", "R.csv", "--format", "json"]
        let r = try Igcam.ok(args, cwd: dir, timeout: 300)
        XCTAssertTrue(r.stderr.contains("1 skipped"), r.summary)
        XCTAssertTrue(r.stderr.contains("ghost"), r.summary)
        XCTAssertTrue(r.stderr.lowercased().contains("annotation"), r.summary)
        guard let table = try parseJSON(r) as? [[String: Any]] else { return XCTFail(r.summary) }
        XCTAssertEqual(table.count, 1)
        XCTAssertEqual(table.first?["method"] as? String, "grad-cam")
        XCTAssertEqual(table.first?["pairs"] as? Int, 1, "--limit 1: one image, one annotated class")
        let csvURL = dir.appendingPathComponent("R.csv")
        let csv = try String(contentsOf: csvURL, encoding: .utf8)
        let rows = try csvRows(csvURL)
        XCTAssertEqual(rows.count, 1)
        guard let row = rows.first, let ci = row["class_index"].flatMap(Int.init), let ebpg = row["ebpg"].flatMap(Double.init),
              let bbox = row["bbox"].flatMap(Double.init), let hit = row["pointing_hit"] else { return XCTFail("bad row \(rows)") }
        XCTAssertEqual(row["image"], "skimage_chelsea")
        XCTAssertEqual(row["class_name"], "cat")
        XCTAssertTrue((281...285).contains(ci), "cat maps to ImageNet 281-285, got \(ci)")
        XCTAssertTrue((0...1).contains(ebpg) && (0...1).contains(bbox), "\(row)")
        XCTAssertGreaterThan(ebpg, 0, "the cat box holds none of the map")
        XCTAssertEqual((table.first?["ebpg"] as? Double) ?? -1, 100 * ebpg, accuracy: 1e-3, "table is the mean of the rows")

        // explain (stretched, as evaluate does) + score give the same numbers.
        let image = voc.appendingPathComponent("JPEGImages/skimage_chelsea.jpg").path
        let xml = voc.appendingPathComponent("Annotations/skimage_chelsea.xml").path
        let e = try Igcam.ok(["explain", image, "--resize", "stretch", "--method", "grad-cam", "--class", String(ci),
                              "--raw", "map.npy", "--json"], cwd: dir)
        XCTAssertEqual((try parseJSON(e) as? [String: Any])?["class"] as? Int, ci)
        let s = try Igcam.ok(["score", "--map", "map.npy", "--annotation", xml, "--name", "cat", "--json"], cwd: dir)
        guard let sd = try parseJSON(s) as? [String: Any] else { return XCTFail(s.summary) }
        XCTAssertEqual((sd["ebpg"] as? Double) ?? -1, ebpg, accuracy: 1e-5)
        XCTAssertEqual((sd["bbox"] as? Double) ?? -1, bbox, accuracy: 1e-5)
        XCTAssertEqual(sd["pointing_hit"] as? Bool, hit == "1")
        XCTAssertEqual(sd["image_size"] as? [Int], [451, 300])
        let t = try Igcam.ok(["score", "--map", "map.npy", "--annotation", xml, "--name", "cat"], cwd: dir)
        XCTAssertTrue(t.stdout.contains(String(format: "EBPG %.4f", ebpg)), t.summary)
        // A class the annotation does not have is named in the error.
        try Igcam.fails(["score", "--map", "map.npy", "--annotation", xml, "--name", "dog"], cwd: dir, mentioning: ["dog"])

        // --resume: the row is kept, not recomputed or rewritten, and the table is rebuilt from it.
        let again = try Igcam.ok(args + ["--resume"], cwd: dir, timeout: 300)
        XCTAssertTrue(again.stderr.contains("resuming"), again.summary)
        XCTAssertEqual(try String(contentsOf: csvURL, encoding: .utf8), csv, "--resume recomputed or rewrote rows")
        guard let table2 = try parseJSON(again) as? [[String: Any]] else { return XCTFail(again.summary) }
        XCTAssertEqual(table2.first?["pairs"] as? Int, 1)
        XCTAssertEqual((table2.first?["ebpg"] as? Double) ?? -1, 100 * ebpg, accuracy: 1e-3)
    }

    func testOnlyUnannotatedImagesFailsClearly() throws {
        let dir = try makeTempDir(self)
        let root = try makeRoot(["ghost"], in: dir, annotations: [], extraImages: ["ghost.jpg": "skimage_coffee.jpg"])
        let r = try Igcam.fails(["evaluate", "--voc", root.path, "--methods", "grad-cam", "--results", "R.csv"], cwd: dir,
                                mentioning: ["nothing was evaluated", "ghost"])
        XCTAssertTrue(r.stderr.contains("1 skipped"), r.summary)
    }

    func testEmptySplitFailsClearly() throws {
        let dir = try makeTempDir(self)
        let root = try makeRoot([], in: dir)
        try Igcam.fails(["evaluate", "--voc", root.path, "--methods", "grad-cam", "--results", "R.csv"], cwd: dir,
                        mentioning: ["test.txt"])
        XCTAssertFalse(fm.fileExists(atPath: dir.appendingPathComponent("R.csv").path), "results file created for nothing")
    }

    func testMissingSplitFailsClearly() throws {
        let dir = try makeTempDir(self)
        let root = try makeRoot(["skimage_chelsea"], in: dir)
        try Igcam.fails(["evaluate", "--voc", root.path, "--split", "val", "--methods", "grad-cam", "--results", "R.csv"],
                        cwd: dir, mentioning: ["val.txt"])
    }
}
