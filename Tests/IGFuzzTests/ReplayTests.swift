import Foundation
import XCTest
import IGFuzzTargets

/// Replays every regression file (Tests/Fixtures/fuzz/<target>/) and every seed of the fuzz
/// corpora through the fuzz targets' own entry points, in the normal checked build: an input
/// that once crashed, leaked or hung must now return (a trap here fails the whole run).
/// `make fuzz` adds the crashers it finds to those folders (docs/RELIABILITY.md).
final class ReplayTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The seed files of each target (the same lists Fuzz/run.sh copies into the corpora).
    static func files(_ target: String) -> [URL] {
        let fm = FileManager.default
        var dirs = [root.appendingPathComponent("Tests/Fixtures/fuzz/\(target)")]
        var exts: Set<String> = []
        switch target {
        case "onnx": dirs.append(root.appendingPathComponent("Tests/Fixtures/onnx")); exts = ["onnx"]
        case "png": dirs.append(root.appendingPathComponent("Tests/Fixtures/images")); exts = ["png"]
        case "jpeg": dirs.append(root.appendingPathComponent("Tests/Fixtures/images")); exts = ["jpg"]
        case "voc": dirs.append(root.appendingPathComponent("assets/voc/Annotations")); exts = ["xml"]
        case "npy": dirs.append(root.appendingPathComponent("Tests/Fixtures/images")); exts = ["npy"]
        case "sidecar": dirs.append(root.appendingPathComponent("assets/models")); exts = ["json"]
        default: break
        }
        // The crafted files of the resource limits (Tests/Fixtures/limits) seed their formats too.
        if ["onnx", "png", "jpeg", "npy"].contains(target) { dirs.append(root.appendingPathComponent("Tests/Fixtures/limits")) }
        var out = [URL]()
        for (i, d) in dirs.enumerated() {
            let names = (try? fm.contentsOfDirectory(atPath: d.path)) ?? []
            for n in names.sorted() where !n.hasPrefix(".") && (i == 0 || exts.contains((n as NSString).pathExtension)) {
                out.append(d.appendingPathComponent(n))
            }
        }
        return out
    }

    func replay(_ target: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try XCTUnwrap(FuzzTargets.all[target], "no fuzz target \(target)", file: file, line: line)
        let inputs = Self.files(target)
        XCTAssertFalse(inputs.isEmpty, "no seeds or regression files for \(target)", file: file, line: line)
        for url in inputs {
            let bytes = [UInt8](try Data(contentsOf: url))
            let t0 = Date()
            run(bytes)
            // libFuzzer's own limit is -timeout=10 under sanitizers; the checked build is faster.
            XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "\(target): \(url.lastPathComponent) took too long", file: file, line: line)
        }
    }

    func testONNX() throws { try replay("onnx") }
    func testPNG() throws { try replay("png") }
    func testJPEG() throws { try replay("jpeg") }
    func testVOC() throws { try replay("voc") }
    func testNPY() throws { try replay("npy") }
    func testSidecar() throws { try replay("sidecar") }
    func testViewerKeys() throws { try replay("viewer-keys") }
    func testCLI() throws { try replay("cli") }

    /// The onnx target's forward budget lets every fixture model that igcam runs (those with a
    /// reference output) through to the forward, so the seeds reach the deepest stage.
    func testONNXSeedsReachTheForward() throws {
        let dir = Self.root.appendingPathComponent("Tests/Fixtures/onnx")
        // (external_data.onnx is left out: the target looks external data up in an empty folder.)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".output.npy") && $0 != "external_data.output.npy" }.sorted()
        XCTAssertGreaterThan(names.count, 20)
        for n in names {
            let model = dir.appendingPathComponent(String(n.dropLast(".output.npy".count)) + ".onnx")
            let before = FuzzTargets.stats["onnx: forward ran"]
            FuzzTargets.onnx([UInt8](try Data(contentsOf: model)))
            XCTAssertEqual(FuzzTargets.stats["onnx: forward ran"], before + 1, "\(model.lastPathComponent) did not reach the forward:\n\(FuzzTargets.stats.report())")
        }
    }

    /// Every target has a replay test above.
    func testEveryTargetIsReplayed() {
        XCTAssertEqual(Set(FuzzTargets.all.keys), ["onnx", "png", "jpeg", "voc", "npy", "sidecar", "viewer-keys", "cli"])
    }
}
