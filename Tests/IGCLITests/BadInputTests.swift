import Foundation
import XCTest

/// Bad input to `igcam explain`: a non-zero exit (never a signal), a message
/// on stderr naming the culprit, and no output file (or temporary) left behind.
final class BadInputTests: XCTestCase {
    let cat = Igcam.asset("photos/cat.png")

    /// Runs `explain IMAGE --output o.png --raw m.npy ARGS` in a temp dir holding
    /// `setup`'s files and checks the failure leaves the dir as it was.
    func expectFailure(image: String? = nil, _ args: [String], mentioning: [String],
                       setup: (URL) throws -> Void = { _ in },
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeTempDir(self)
        try setup(dir)
        let before = listing(dir)
        try Igcam.fails(["explain", image ?? cat, "--output", "o.png", "--raw", "m.npy"] + args, cwd: dir,
                        mentioning: mentioning, file: file, line: line)
        XCTAssertEqual(listing(dir), before, "files left behind", file: file, line: line)
    }

    func testUnknownMethod() throws {
        try expectFailure(["--method", "grad-cam,nosuchcam"], mentioning: ["nosuchcam", "method"])
    }

    /// A method named twice (by name or alias) is a usage error, for explain's --method and evaluate's --methods alike.
    func testMethodListedTwice() throws {
        let dir = try makeTempDir(self)
        for args in [["explain", cat, "--method", "grad-cam,gc"], ["explain", cat, "--method", "igc", "--method", "integrated-grad-cam"],
                     ["bench", "--method", "lc,layer-cam"], ["evaluate", "--methods", "score-cam,score"]] {
            let r = try Igcam.fails(args, cwd: dir, mentioning: ["listed twice"])
            XCTAssertEqual(r.status, 2, r.summary)
        }
    }

    /// A part of a label that several labels contain is ambiguous: an error naming them with their indices.
    func testAmbiguousClassName() throws {
        try expectFailure(["--method", "grad-cam", "--class", "terrier"], mentioning: ["ambiguous", "terrier"])
    }

    func testUnknownLayer() throws {
        try expectFailure(["--method", "grad-cam", "--layer", "_nosuch.layer7"], mentioning: ["_nosuch.layer7"])
    }

    func testClassIndexOutOfRange() throws {
        try expectFailure(["--method", "grad-cam", "--class", "5000"], mentioning: ["5000"])
    }

    func testUnknownClassName() throws {
        try expectFailure(["--method", "grad-cam", "--class", "flumbergrasp"], mentioning: ["flumbergrasp"])
    }

    func testZeroSteps() throws {
        try expectFailure(["--method", "integrated-grad-cam", "--steps", "0"], mentioning: ["--steps"])
    }

    func testOpacityOutOfRange() throws {
        try expectFailure(["--method", "grad-cam", "--opacity", "2"], mentioning: ["--opacity"])
    }

    func testUnknownColourMap() throws {
        try expectFailure(["--method", "grad-cam", "--colormap", "plaid"], mentioning: ["plaid"])
    }

    func testMissingImage() throws {
        try expectFailure(image: "no-such-photo.png", ["--method", "grad-cam"], mentioning: ["no-such-photo.png"])
    }

    func testTruncatedPNG() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cat))
        try expectFailure(image: "cut.png", ["--method", "grad-cam"], mentioning: ["cut.png"]) { dir in
            try bytes.prefix(bytes.count / 2).write(to: dir.appendingPathComponent("cut.png"))
        }
    }

    func testTextFileNamedJPEG() throws {
        try expectFailure(image: "notes.jpg", ["--method", "grad-cam"], mentioning: ["notes.jpg"]) { dir in
            try Data("these are notes, not a photo\n".utf8).write(to: dir.appendingPathComponent("notes.jpg"))
        }
    }

    func testMissingModel() throws {
        try expectFailure(["--method", "grad-cam", "--model", "absent.onnx"], mentioning: ["absent.onnx"])
    }

    func testTruncatedONNX() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Igcam.asset("models/efficientnet-lite0.onnx")))
        XCTAssertGreaterThan(bytes.count, 1_000_000)
        try expectFailure(["--method", "grad-cam", "--model", "cut.onnx"], mentioning: ["cut.onnx"]) { dir in
            try bytes.prefix(bytes.count / 3).write(to: dir.appendingPathComponent("cut.onnx"))
        }
    }

    func testNonONNXModel() throws {
        try expectFailure(["--method", "grad-cam", "--model", "readme.onnx"], mentioning: ["readme.onnx"]) { dir in
            try Data("# not a model\nJust some text that happens to end in .onnx.\n".utf8)
                .write(to: dir.appendingPathComponent("readme.onnx"))
        }
    }

    func testImageGivenAsModel() throws {
        // Binary garbage rather than text: a PNG is not a protobuf ModelProto.
        try expectFailure(["--method", "grad-cam", "--model", cat], mentioning: ["cat.png"])
    }

    func testOutputIntoMissingDirectory() throws {
        let dir = try makeTempDir(self)
        try Igcam.fails(["explain", cat, "--method", "grad-cam", "--output", "nodir/o.png"], cwd: dir,
                        mentioning: ["nodir"])
        XCTAssertEqual(listing(dir), [], "nothing (no temporary) written into the working directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("nodir").path))
    }

    /// A run that fails on its second output must not leave the first one behind.
    func testNoPartialOutputWhenOneTargetIsUnwritable() throws {
        let dir = try makeTempDir(self)
        try Igcam.fails(["explain", cat, "--method", "grad-cam", "--raw", "m.npy", "--output", "nodir/o.png"], cwd: dir,
                        mentioning: ["nodir"])
        XCTAssertEqual(listing(dir), [], "m.npy was written although the command failed")
    }

    func testClassifyMissingImage() throws {
        let dir = try makeTempDir(self)
        try Igcam.fails(["classify", Igcam.asset("photos/cat.png"), "gone.jpg"], cwd: dir, mentioning: ["gone.jpg"])
    }

    // MARK: usage errors: exit 2, `igcam: error: ...` naming the option, before any work

    /// Bad option values for every command (each run must stop at parsing: no model is loaded).
    static let usageErrors: [(args: [String], option: String)] = {
        let cat = Igcam.asset("photos/cat.png")
        var cases: [([String], String)] = []
        for b in ["", ":", "::", "blur:0", "blur:-3", "blur:nan", "blur:inf", "blur:1e9", "blur:", "noise:-1",
                  "noise:x", "black:3", "mean:", "zebra"] {
            cases.append((["explain", cat, "--baseline", b], "--baseline"))
        }
        cases += [
            (["explain", cat, "--reading", "sideways"], "--reading"),
            (["explain", cat, "--colormap", "plaid"], "--colormap"),
            (["explain", cat, "--method", "nosuchcam"], "--method"),
            (["explain", cat, "--method", "grad-cam,"], ""),   // an empty item is ignored: not an error (see below)
            (["explain", cat, "--steps", "0"], "--steps"),
            (["explain", cat, "--steps", "10000000"], "--steps"),
            (["explain", cat, "--steps", "-5"], "--steps"),
            (["explain", cat, "--steps", "many"], "--steps"),
            (["explain", cat, "--steps", "99999999999999999999999"], "--steps"),
            (["explain", cat, "--steps"], "--steps"),
            (["explain", cat, "--opacity", "2"], "--opacity"),
            (["explain", cat, "--opacity", "nan"], "--opacity"),
            (["explain", cat, "--backend", "gpu"], "--backend"),
            (["explain", cat, "--threads", "0"], "--threads"),
            (["explain", cat, "--threads", "100000"], "--threads"),
            (["explain", cat, "--resize", "squash"], "--resize"),
            (["explain", cat, "--no-such-option"], "--no-such-option"),
            (["classify", cat, "--top", "0"], "--top"),
            (["classify", cat, "--backend", "GPU"], "--backend"),
            (["classify", cat, "--resize", ""], "--resize"),
            (["layers", "--threads", "-1"], "--threads"),
            (["layers", "--backend", ""], "--backend"),
            (["bench", "--batch", "0"], "--batch"),
            (["bench", "--batch", "1000000"], "--batch"),
            (["bench", "--runs", "0"], "--runs"),
            (["bench", "--method", "nosuchcam"], "--method"),
            (["bench", "--baseline", ""], "--baseline"),
            (["demo", "sensitivity", "--steps", "0"], "--steps"),
            (["view", "--color", "purple"], "--color"),
            (["view", "--graphics", "gif"], "--graphics"),
            (["evaluate", "--reading", "sideways"], "--reading"),
            (["evaluate", "--methods", "grad-cam,nope"], "--methods"),
            (["score", "--map", "m.npy", "--annotation", "a.xml", "--name", "cat", "--resize", "squash"], "--resize"),
            (["view", "--top", "0"], "--top"),
            (["evaluate", "--backend", "gpu"], "--backend"),
        ]
        return cases.filter { !$0.1.isEmpty }
    }()

    func testUsageErrorsExit2NamingTheOption() throws {
        let dir = try makeTempDir(self)
        for (args, option) in Self.usageErrors {
            let r = try Igcam.run(args, cwd: dir, timeout: 30)
            XCTAssertFalse(r.signalled, "crashed: \(r.summary)")
            XCTAssertEqual(r.status, 2, "usage error must exit 2: \(r.summary)")
            XCTAssertTrue(r.stderr.hasPrefix("igcam: error: "), "stderr: \(r.summary)")
            XCTAssertTrue(r.stderr.contains(option), "stderr does not name \(option): \(r.summary)")
            XCTAssertEqual(listing(dir), [], "wrote files: \(r.summary)")
        }
    }

    /// The crash of issue 10: `--baseline ""` and `--baseline :` were a segfault.
    func testEmptyBaselineIsAUsageError() throws {
        let dir = try makeTempDir(self)
        for b in ["", ":"] {
            let r = try Igcam.fails(["explain", cat, "--baseline", b], cwd: dir, mentioning: ["--baseline", "black, mean"])
            XCTAssertEqual(r.status, 2)
        }
    }

    /// A file that cannot be read is a runtime error: exit 1.
    func testRuntimeErrorsExit1() throws {
        let dir = try makeTempDir(self)
        XCTAssertEqual(try Igcam.fails(["explain", "absent.png", "--method", "grad-cam"], cwd: dir, mentioning: ["absent.png"]).status, 1)
        XCTAssertEqual(try Igcam.fails(["classify", cat, "--model", "absent.onnx"], cwd: dir, mentioning: ["absent.onnx"]).status, 1)
    }

    /// The fixed choices are listed by --help.
    func testHelpListsChoices() throws {
        let dir = try makeTempDir(self)
        let r = try Igcam.ok(["explain", "--help"], cwd: dir)
        for choice in ["authors-code", "figure", "viridis", "reference", "fast", "stretch", "crop", "ablation-cam", "hires-cam"] {
            XCTAssertTrue(r.stdout.contains(choice), "explain --help does not list \(choice)")
        }
        let view = try Igcam.ok(["view", "--help"], cwd: dir)
        for choice in ["truecolor", "256", "sixel", "kitty"] {
            XCTAssertTrue(view.stdout.contains(choice), "view --help does not list \(choice)")
        }
    }
}
