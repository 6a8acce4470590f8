import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The resource limits of docs/RELIABILITY.md section 3 through the real `igcam` binary: a crafted
/// file (Tests/Fixtures/limits/, tools/make_limit_fixtures.py) makes the command exit 1 with
/// `igcam: error: <file>: ...` naming the limit, and the process's peak resident memory (its
/// ru_maxrss from wait4) stays within 64 MB of a control run of the same command on a small
/// valid file: the refusal comes before the allocation the header asks for.
final class LimitCLITests: XCTestCase {
    static let limits = Igcam.repo.appendingPathComponent("Tests/Fixtures/limits").path
    static let tinyModel = Igcam.repo.appendingPathComponent("Tests/Fixtures/onnx/tiny_resnet_op13.onnx").path

    func limit(_ name: String) -> String { Self.limits + "/" + name }

    /// What a measured run gave.
    struct Measured {
        var status: Int32
        var signalled: Bool
        var stderr: String
        var maxRSSKB: Int
    }

    /// Runs igcam with `args` (absolute paths: the child inherits our working directory) and
    /// returns its exit status, stderr and peak resident set, killing it after `timeout` s.
    func runMeasured(_ args: [String], timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Measured {
        guard let binary = Igcam.binary else {
            XCTFail("igcam binary not found: run `swift build -c release --product igcam` first", file: file, line: line)
            throw XCTSkip("no igcam binary")
        }
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("igcam-limit-err-\(UUID().uuidString)").path
        defer { unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([binary] + args).map { strdup($0) } + [nil]
        let envp = Igcam.childEnvironment([:]).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard rc == 0 else { throw XCTSkip("posix_spawn failed: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        let start = Date()
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { XCTFail("wait4: \(String(cString: strerror(errno)))", file: file, line: line); break }
            if Date().timeIntervalSince(start) > timeout {
                kill(pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                XCTFail("igcam \(args.joined(separator: " ")) timed out", file: file, line: line)
                break
            }
            usleep(10_000)
        }
        let signalled = status & 0x7f != 0
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Measured(status: signalled ? status & 0x7f : (status >> 8) & 0xff, signalled: signalled,
                        stderr: stderr, maxRSSKB: Int(usage.ru_maxrss))
    }

    /// `args` must exit 1 with `igcam: error: ` and every needle on stderr, peaking at most 64 MB
    /// above `control` (a run of the same command on a small valid file).
    func expectRefused(_ args: [String], _ needles: [String], control: [String], controlExit: Int32 = 0,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try runMeasured(control, file: file, line: line)
        XCTAssertFalse(c.signalled, "control crashed: \(c.stderr)", file: file, line: line)
        XCTAssertEqual(c.status, controlExit, "control: igcam \(control.joined(separator: " ")): \(c.stderr)", file: file, line: line)
        let r = try runMeasured(args, file: file, line: line)
        let what = "igcam \(args.joined(separator: " "))"
        XCTAssertFalse(r.signalled, "\(what) crashed (signal \(r.status)): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 1, "\(what): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("igcam: error: "), "\(what): stderr is '\(r.stderr)'", file: file, line: line)
        for n in needles { XCTAssertTrue(r.stderr.contains(n), "\(what): stderr '\(r.stderr)' lacks '\(n)'", file: file, line: line) }
        XCTAssertLessThan(r.maxRSSKB, c.maxRSSKB + 64 * 1024,
                          "\(what) peaked at \(r.maxRSSKB / 1024) MB, the control at \(c.maxRSSKB / 1024) MB", file: file, line: line)
    }

    func testImagesOverThePixelLimit() throws {
        let m = ["--model", Self.tinyModel]
        try expectRefused(["classify", limit("png_8193x8193.png")] + m, ["png_8193x8193.png", "8193x8193", "at most 67108864 pixels"],
                          control: ["classify", limit("png_4x4.png")] + m)
        try expectRefused(["classify", limit("jpeg_8193x8193.jpg")] + m, ["jpeg_8193x8193.jpg", "67108864-pixel limit"],
                          control: ["classify", limit("jpeg_16x16.jpg")] + m)
    }

    func testONNXOverItsLimits() throws {
        let control = ["classify", limit("png_4x4.png"), "--model", Self.tinyModel]
        let cases: [(String, [String])] = [
            ("onnx_initializer_2p32", ["more than 2^31 values"]),
            ("onnx_raw_short", ["needs 1073741824 bytes, has 8"]),
            ("onnx_raw_field_beyond", ["runs past the end"]),
            ("onnx_external_beyond", ["lies outside 'limit_external.weights'"]),
            ("onnx_activations_2p29", ["more than 268435456 values per image"]),
            ("onnx_input_dim_2p20", ["each 1 to 2^20 - 1"]),
        ]
        for (name, needles) in cases {
            try expectRefused(["classify", limit("png_4x4.png"), "--model", limit(name + ".onnx")], [name + ".onnx"] + needles,
                              control: control)
        }
    }

    func testNPYOverItsLimits() throws {
        let ann = Igcam.asset("voc/Annotations/2011_000003.xml")
        func score(_ map: String) -> [String] { ["score", "--map", limit(map), "--annotation", ann, "--name", "person"] }
        for (name, needle) in [("npy_count_overflow.npy", "element count overflows"), ("npy_bytes_overflow.npy", "byte count overflows"),
                               ("npy_data_beyond.npy", "needs 4000000000 bytes, file has 16")] {
            try expectRefused(score(name), [name, needle], control: score("npy_2x2.npy"))
        }
    }

    /// A sidecar out of range next to a model that is otherwise fine.
    func testSidecarOutOfRange() throws {
        let dir = try makeTempDir(self)
        let model = dir.appendingPathComponent("m.onnx")
        try FileManager.default.copyItem(atPath: Self.tinyModel, toPath: model.path)
        let cases: [(String, String)] = [
            (#"{"input_size": [16, 16385]}"#, "input_size must be [height, width], each 1...16384"),
            (#"{"mean": [0.5, 0.5]}"#, "mean must be 3 finite numbers"),
            (#"{"std": [0.2, 0, 0.2]}"#, "std must be positive"),
        ]
        let args = ["classify", limit("png_4x4.png"), "--model", model.path]
        for (json, needle) in cases {
            try Data(#"{"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}"#.utf8).write(to: dir.appendingPathComponent("m.json"))
            let ok = try runMeasured(args)
            XCTAssertEqual(ok.status, 0, "control sidecar: \(ok.stderr)")
            try Data(json.utf8).write(to: dir.appendingPathComponent("m.json"))
            let r = try runMeasured(args)
            XCTAssertEqual(r.status, 1, "\(json): \(r.stderr)")
            XCTAssertFalse(r.signalled)
            XCTAssertTrue(r.stderr.hasPrefix("igcam: error: ") && r.stderr.contains("m.json") && r.stderr.contains(needle),
                          "\(json): stderr '\(r.stderr)'")
        }
    }
}
