import Foundation
import XCTest
import IGONNX
import IGEngine

final class ErrorTests: XCTestCase {
    func expectError(_ name: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try ONNXImporter.load(path: Fixtures.path(name))
            XCTFail("\(name) loaded", file: file, line: line)
        } catch let e as ONNXError {
            let d = e.description
            XCTAssertTrue(d.contains(name + ".onnx"), "\(d) does not name the file", file: file, line: line)
            for n in needles { XCTAssertTrue(d.contains(n), "'\(d)' lacks '\(n)'", file: file, line: line) }
        } catch {
            XCTFail("\(name): not an ONNXError: \(error)", file: file, line: line)
        }
    }

    func testUnsupportedOps() {
        expectError("bad_erf_op13", ["unsupported op Erf", "/Erf"])
        expectError("bad_erf_op17", ["unsupported op Erf"])
        expectError("bad_erf_dyn", ["unsupported op Erf", "(Erf)"])
        expectError("bad_gridsample", ["unsupported op GridSample", "sampler"])
    }

    func testBadFiles() {
        expectError("bad_nograph", ["no graph"])
        expectError("bad_truncated", ["truncated or corrupt"])
        expectError("bad_text", ["not a valid ONNX protobuf"])
        expectError("bad_random", ["not a valid ONNX protobuf"])
        expectError("bad_missing_init", ["'W'", "conv_without_weight", "missing initializer"])
        expectError("bad_dtype", ["unsupported data type COMPLEX64", "cplx"])
        expectError("bad_attribute", ["conv_bad_group", "(Conv)", "group 2"])
        expectError("bad_external_missing", ["missing external data file", "missing.weights"])
    }

    func testMissingFile() {
        XCTAssertThrowsError(try ONNXImporter.load(path: "/nonexistent/model.onnx")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/model.onnx"))
        }
    }

    func testEmptyData() {
        XCTAssertThrowsError(try ONNXImporter.load(data: Data(), fileName: "empty.onnx")) { e in
            XCTAssertTrue("\(e)".contains("empty.onnx"))
        }
    }
}
