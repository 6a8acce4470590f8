import Foundation
import XCTest

/// `igcam demo sensitivity` and `igcam bench`.
final class DemoBenchTests: XCTestCase {
    func testSensitivityDemo() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["demo", "sensitivity", "--steps", "20"], cwd: dir)
        XCTAssertTrue(r.stdout.contains("f(x) = 1 - ReLU(1 - x)"), r.summary)
        XCTAssertTrue(r.stdout.contains("x*f'(x)") && r.stdout.contains("integrated"), "no table header: \(r.summary)")
        // The scalar table: for x > 1, f(x) = 1 and f'(x) = 0, yet the integral recovers f(x) - f(0) = 1.
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
            .filter { $0.count == 6 }
        XCTAssertGreaterThanOrEqual(rows.count, 3, r.summary)
        let saturated = rows.filter { $0[0] > 1.05 }
        XCTAssertFalse(saturated.isEmpty, "no row past the saturation point")
        for row in saturated {
            XCTAssertEqual(row[1], 1, accuracy: 1e-3, "f(x)"); XCTAssertEqual(row[2], 0, accuracy: 1e-3, "f'(x)")
            XCTAssertEqual(row[3], 0, accuracy: 1e-3, "x f'(x)"); XCTAssertEqual(row[5], 1, accuracy: 1e-3, "f(x)-f(0)")
            // A Riemann sum of m = 20 steps of a 0/1 derivative misses at most one step, x / m.
            XCTAssertEqual(row[4], 1, accuracy: row[0] / 20 + 1e-3, "the integral recovers the difference")
            XCTAssertGreaterThan(row[4], 0.5, "the integral gives the input credit")
        }
        // The conv-net table: Grad-CAM weight of the saturated red channel is 0.
        let red = r.stdout.split(separator: "\n").first { $0.contains("0 (red") }
        let nums = red.map { $0.split(separator: " ").compactMap { Double($0) } } ?? []
        XCTAssertEqual(nums.count, 3, "channel 0 row: \(red ?? "missing")")
        if nums.count == 3 {
            XCTAssertEqual(nums[1], 0, accuracy: 1e-6, "Grad-CAM weight of the saturated channel")
            XCTAssertEqual(nums[2], 1.0, accuracy: 0.1, "its integrated contribution")
        }
        XCTAssertTrue(r.stdout.contains("its gradient is 0: Grad-CAM gives it no\nweight")
                      || r.stdout.replacingOccurrences(of: "\n", with: " ").contains("Grad-CAM gives it no weight"), r.summary)
    }

    func testSensitivityDemoRejectsZeroSteps() throws {
        let dir = try makeTempDir(self)
        try Igcam.fails(["demo", "sensitivity", "--steps", "0"], cwd: dir, mentioning: ["--steps"])
    }

    func testBenchJSON() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["bench", "--runs", "2", "--json"], cwd: dir)
        guard let d = try parseJSON(r) as? [String: Any] else { return XCTFail(r.summary) }
        XCTAssertEqual(d["runs"] as? Int, 2)
        XCTAssertEqual(d["batch"] as? Int, 1)
        for key in ["forward", "forward_backward"] {
            guard let t = d[key] as? [String: Double], let med = t["median_ms"], let mn = t["min_ms"] else {
                XCTFail("\(key) missing: \(d)"); continue
            }
            XCTAssertGreaterThan(mn, 0); XCTAssertGreaterThanOrEqual(med, mn)
        }
        XCTAssertEqual(d["layer"] as? String, "/_head_act/Clip_output_0")
    }

    func testBenchOneMethodJSON() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["bench", "--runs", "1", "--method", "grad-cam", "--json"], cwd: dir)
        guard let d = try parseJSON(r) as? [String: Any] else { return XCTFail(r.summary) }
        XCTAssertNotNil((d["grad-cam"] as? [String: Double])?["median_ms"], "\(d)")
        XCTAssertNil(d["forward"])
    }
}
