import Foundation
import XCTest
import IGModel

/// The sidecar JSON limits of docs/RELIABILITY.md section 3: out-of-range values are refused by
/// `Sidecar.decode` with a message naming the field and its range (before any model is loaded).
final class SidecarLimitTests: XCTestCase {
    func decode(_ json: String) throws -> Sidecar { try Sidecar.decode(Data(json.utf8), path: "m.json") }

    func expectRefused(_ json: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(json), json, file: file, line: line) { e in
            let d = "\(e)"
            XCTAssertTrue(d.hasPrefix("m.json: "), "'\(d)' does not name the file", file: file, line: line)
            for n in needles { XCTAssertTrue(d.contains(n), "'\(d)' lacks '\(n)'", file: file, line: line) }
        }
    }

    func testInRangeValuesAreAccepted() throws {
        let s = try decode(#"{"input_size": [16384, 1], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}"#)
        XCTAssertEqual(s.inputSize, [16384, 1])
        XCTAssertEqual(s.std, [0.229, 0.224, 0.225])
        let grey = try decode(#"{"mean": [0.5], "std": [1e-6]}"#)
        XCTAssertEqual(grey.mean, [0.5])
    }

    func testInputSizeOutOfRange() {
        for bad in ["[0, 224]", "[224, 16385]", "[-1, 224]", "[224]", "[224, 224, 3]", "[9223372036854775807, 1]"] {
            expectRefused(#"{"input_size": \#(bad)}"#, ["input_size must be [height, width], each 1...16384"])
        }
        // Beyond Int: Foundation's JSONDecoder refuses the whole document ("The given data was not
        // valid JSON.", without naming the field), still a clear error naming the file.
        expectRefused(#"{"input_size": [1e30, 224]}"#, ["not a valid model sidecar"])
    }

    func testMeanAndStdOutOfRange() {
        expectRefused(#"{"mean": [0.5, 0.5]}"#, ["mean must be 3 finite numbers (1 for a grayscale network)"])
        expectRefused(#"{"std": [0.5, 0.5, 0.5, 0.5]}"#, ["std must be 3 finite numbers"])
        expectRefused(#"{"mean": []}"#, ["mean must be 3 finite numbers"])
        // 1e39 is beyond Float: JSONDecoder refuses the document, as above.
        expectRefused(#"{"mean": [1e39, 0, 0]}"#, ["not a valid model sidecar"])
        expectRefused(#"{"std": [0.2, 0, 0.2]}"#, ["std must be positive"])
        expectRefused(#"{"std": [0.2, -0.1, 0.2]}"#, ["std must be positive"])
    }
}
