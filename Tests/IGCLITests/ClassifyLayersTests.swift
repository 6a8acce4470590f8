import Foundation
import XCTest

/// `igcam classify` and `igcam layers` on the bundled model and photos.
final class ClassifyLayersTests: XCTestCase {
    func testClassifyTextNamesTheCat() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["classify", Igcam.asset("photos/cat.png")], cwd: dir)
        XCTAssertTrue(r.stdout.contains("cat.png"), r.summary)
        XCTAssertTrue(r.stdout.contains("Egyptian cat"), r.summary)
        // Five class lines by default, each with a percentage.
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.contains("%") }.count, 5, r.summary)
    }

    func testClassifyJSONSeveralImages() throws {
        let dir = try makeTempDir(self)
        let photos = ["cat.png", "coffee.png", "rocket.png"].map { Igcam.asset("photos/" + $0) }
        let r = try Igcam.ok(["classify", "--json", "--top", "4"] + photos, cwd: dir)
        guard let docs = try parseJSON(r) as? [[String: Any]] else { return XCTFail("not an array of objects: \(r.summary)") }
        XCTAssertEqual(docs.map { $0["image"] as? String }, photos)
        var tops = [[Int]]()
        for d in docs {
            guard let top = d["top"] as? [[String: Any]] else { XCTFail("no top: \(d)"); continue }
            XCTAssertEqual(top.count, 4)
            let p = top.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
            let l = top.compactMap { ($0["logit"] as? NSNumber)?.doubleValue }
            let c = top.compactMap { $0["class"] as? Int }
            XCTAssertEqual(top.compactMap { $0["label"] as? String }.count, 4)
            XCTAssertEqual(p.count, 4); XCTAssertEqual(l.count, 4); XCTAssertEqual(c.count, 4)
            XCTAssertTrue(zip(p, p.dropFirst()).allSatisfy { $0 >= $1 }, "probabilities not descending: \(p)")
            XCTAssertTrue(p.allSatisfy { $0 > 0 && $0 <= 1 }, "\(p)")
            XCTAssertLessThanOrEqual(p.reduce(0, +), 1 + 1e-5)
            XCTAssertEqual(Set(c).count, 4, "duplicate classes \(c)")
            XCTAssertTrue(c.allSatisfy { (0..<1000).contains($0) }, "\(c)")
            // Softmax: probability ratios are exponentials of logit differences.
            for i in 1..<4 where p[i] > 1e-6 {
                XCTAssertEqual(log(p[0] / p[i]), l[0] - l[i], accuracy: 1e-3, "probability and logit disagree")
            }
            tops.append(c)
        }
        XCTAssertEqual(docs.first.flatMap { ($0["top"] as? [[String: Any]])?.first?["label"] as? String }, "Egyptian cat",
                       r.summary)
        // Different photos, different answers.
        XCTAssertEqual(Set(tops.map { $0[0] }).count, 3, "\(tops)")
    }

    func testLayersMarksTheDefault() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["layers"], cwd: dir)
        let starred = r.stdout.split(separator: "\n").filter { $0.hasPrefix("*") }
        XCTAssertEqual(starred.count, 1, r.summary)
        let line = String(starred.first ?? "")
        XCTAssertTrue(line.contains("/_head_act/Clip_output_0"), line)
        XCTAssertTrue(line.contains("1280x7x7"), line)
        XCTAssertTrue(line.contains("[_head_act]"), "module-path alias of the default layer: \(line)")
        // Module-path aliases are shown in brackets.
        XCTAssertTrue(r.stdout.contains("[_blocks."), r.summary)
        XCTAssertGreaterThan(r.stdout.split(separator: "\n").count, 20, r.summary)
    }

    func testLayersJSON() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["layers", "--json"], cwd: dir)
        guard let layers = try parseJSON(r) as? [[String: Any]] else { return XCTFail(r.summary) }
        let defaults = layers.filter { ($0["default"] as? Bool) == true }
        XCTAssertEqual(defaults.count, 1)
        XCTAssertEqual(defaults.first?["name"] as? String, "/_head_act/Clip_output_0")
        XCTAssertEqual(defaults.first?["shape"] as? [Int], [1280, 7, 7])
        XCTAssertTrue(layers.allSatisfy { $0["name"] is String && $0["shape"] is [Int] })
        let aliases = layers.compactMap { $0["alias"] as? String }
        XCTAssertFalse(aliases.isEmpty, "no module-path aliases")
        XCTAssertTrue(aliases.contains { $0.hasPrefix("_blocks.") }, "\(aliases.prefix(10))")
    }
}

/// Every command documents itself: `--help` prints usage on stdout and exits 0.
final class HelpTests: XCTestCase {
    func testHelpForTheRootAndEveryCommand() throws {
        let dir = try makeTempDir(self)
        let root = try Igcam.ok(["--help"], cwd: dir)
        XCTAssertTrue(root.stdout.contains("USAGE: igcam"), root.summary)
        for sub in ["view", "classify", "layers", "explain", "evaluate", "score", "bench"] {
            XCTAssertTrue(root.stdout.contains(sub), "root help does not list \(sub): \(root.summary)")
            let r = try Igcam.ok([sub, "--help"], cwd: dir)
            XCTAssertTrue(r.stdout.contains("USAGE: igcam \(sub)"), r.summary)
            XCTAssertFalse(r.stderr.contains("error"), r.summary)
        }
        let viaHelp = try Igcam.ok(["help", "explain"], cwd: dir)
        XCTAssertTrue(viaHelp.stdout.contains("--method"), viaHelp.summary)
    }
}
