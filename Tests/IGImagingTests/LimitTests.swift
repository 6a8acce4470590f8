import Foundation
import XCTest
import IGTestSupport
import IGImaging

/// The resource limits of docs/RELIABILITY.md section 3 for images and .npy, on crafted files
/// (Tests/Fixtures/limits/, made by tools/make_limit_fixtures.py): a header asking for more than
/// igcam accepts is refused with a message naming the limit, before anything big is allocated.
/// Each crafted file has a control that differs only in the offending number and loads, so the
/// refusal is the limit's doing and not a malformed file's.
final class LimitTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/limits").path

    func limit(_ name: String) -> String { Self.dir + "/" + name }

    /// Runs `body`, which must throw an ImageError whose description contains every needle, and
    /// checks the process's peak resident memory did not grow by more than 32 MB meanwhile.
    func expectRefused(_ name: String, kind: ImageError.Kind, _ needles: [String], _ body: () throws -> Void,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try assertSmallPeakMemory(name, file: file, line: line) {
            XCTAssertThrowsError(try body(), name, file: file, line: line) { e in
                guard let e = e as? ImageError else { return XCTFail("\(name): not an ImageError: \(e)", file: file, line: line) }
                XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
                let d = e.description
                XCTAssertTrue(d.contains(name), "'\(d)' does not name the file", file: file, line: line)
                for n in needles { XCTAssertTrue(d.contains(n), "'\(d)' lacks '\(n)'", file: file, line: line) }
            }
        }
    }

    func testPNGHeaderOverTheLimit() throws {
        let ok = try loadImage(path: limit("png_4x4.png"))
        XCTAssertEqual([ok.width, ok.height], [4, 4])
        // 8193 x 8193 = 67,125,249 pixels, just over 2^26 = 67,108,864.
        XCTAssertEqual(maxImagePixels, 1 << 26)
        try expectRefused("png_8193x8193.png", kind: .invalidArgument, ["8193x8193", "at most 67108864 pixels"]) {
            _ = try loadImage(path: limit("png_8193x8193.png"))
        }
    }

    func testJPEGHeaderOverTheLimit() throws {
        let ok = try loadImage(path: limit("jpeg_16x16.jpg"))
        XCTAssertEqual([ok.width, ok.height], [16, 16])
        try expectRefused("jpeg_8193x8193.jpg", kind: .invalidArgument, ["8193x8193", "67108864-pixel limit"]) {
            _ = try loadImage(path: limit("jpeg_8193x8193.jpg"))
        }
    }

    func testNPYShapeOverflowAndDataBeyondTheFile() throws {
        let ok = try readNPY(path: limit("npy_2x2.npy"))
        XCTAssertEqual(ok.shape, [2, 2])
        XCTAssertEqual(ok.data, [0.5, -1.25, 3.0, 7.5])
        // (2^62, 4): the element count overflows Int.
        try expectRefused("npy_count_overflow.npy", kind: .corrupt, ["[4611686018427387904, 4]", "element count overflows"]) {
            _ = try readNPY(path: limit("npy_count_overflow.npy"))
        }
        // (2^61,) of float64: the count fits, the byte count (2^64) does not.
        try expectRefused("npy_bytes_overflow.npy", kind: .corrupt, ["[2305843009213693952]", "byte count overflows"]) {
            _ = try readNPY(path: limit("npy_bytes_overflow.npy"))
        }
        // (1000000, 1000) of float32 = 4e9 bytes declared, 16 in the file.
        try expectRefused("npy_data_beyond.npy", kind: .truncated, ["needs 4000000000 bytes, file has 16"]) {
            _ = try readNPY(path: limit("npy_data_beyond.npy"))
        }
    }
}
