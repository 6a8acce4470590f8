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
}
