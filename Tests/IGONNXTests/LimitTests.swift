import Foundation
import XCTest
import IGTestSupport
@testable import IGONNX
import IGEngine

/// The ONNX resource limits of docs/RELIABILITY.md section 3 on crafted models
/// (Tests/Fixtures/limits/, made with the onnx package by tools/make_limit_fixtures.py): each is
/// refused at load with a message naming the limit, before anything big is allocated. Every
/// crafted model has a control that differs only in the offending number and loads (for the
/// activation and input limits the control sits exactly at the limit).
final class LimitTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/limits").path

    func load(_ name: String) throws -> Graph { try ONNXImporter.load(path: Self.dir + "/" + name + ".onnx") }

    func expectRefused(_ name: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try assertSmallPeakMemory(name, file: file, line: line) {
            XCTAssertThrowsError(try load(name), name, file: file, line: line) { e in
                guard let e = e as? ONNXError else { return XCTFail("\(name): not an ONNXError: \(e)", file: file, line: line) }
                let d = e.description
                XCTAssertTrue(d.contains(name + ".onnx"), "'\(d)' does not name the file", file: file, line: line)
                for n in needles { XCTAssertTrue(d.contains(n), "'\(d)' lacks '\(n)'", file: file, line: line) }
            }
        }
    }

    /// Fuzz finding 6 (Tests/Fixtures/fuzz/onnx/timeout-4c1e...): ConstantOfShape folds 16,776,964
    /// int64 values into Pad's pads; the error printed them all (25 s, a string of ~150 MB). An
    /// integer constant is now refused where it is made when it has more than 2^16 values, and
    /// integer lists in messages print whole only when short.
    func testHugeFoldedPadsGiveAShortMessage() throws {
        let d = try refusal("timeout-4c1e2623985b844b33ddb4c5738dac3ce0b2c615")
        // Refused where the long integer constant is made (ConstantOfShape), before it reaches Pad.
        XCTAssertTrue(d.contains("ConstantOfShape") && d.contains("16776964 values"), d)
        XCTAssertLessThan(d.count, 1000, "the message is \(d.count) characters long")
    }

    /// The error that loading the regression file `name` (Tests/Fixtures/fuzz/onnx) throws.
    func refusal(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: Self.dir).deletingLastPathComponent().appendingPathComponent("fuzz/onnx/\(name)").path
        do { _ = try ONNXImporter.load(path: path) } catch { return "\(error)" }
        XCTFail("\(name) loaded")
        return ""
    }

    /// Fuzz finding 8: a 2,232-byte model makes 16.7M float zeros (ConstantOfShape, just under the
    /// 2^24 per-constant limit) and folds them through Concat, Reshape, Slice, Transpose and
    /// Reshape before a Cast to integers is refused (0.86 s, 9.7 s under the sanitizers). The
    /// load-time work is now in proportion to the bytes read, so it is refused where it is made.
    func testLoadTimeConstantsAreBoundedByTheFileSize() throws {
        let d = try refusal("slow-unit-5a82ae379142f5870b12831f520ee08849e266ec")
        XCTAssertTrue(d.contains("node '/ConstantOfShape'") && d.contains("more than a model of 2232 bytes can describe"), d)
        XCTAssertEqual(foldBudget(bytes: 2232), 1 << 22)
        XCTAssertEqual(foldBudget(bytes: 100_000_000), 400_000_000)
        XCTAssertEqual(foldBudget(bytes: Int.max / 2), Int.max)
    }

    /// Integer lists print whole up to 16 values (as Swift prints them), else their first 8 and length.
    func testBoundedDescription() {
        XCTAssertEqual(boundedDescription([1, 2, 3]), [1, 2, 3].description)
        XCTAssertEqual(boundedDescription(Array(0..<16)), Array(0..<16).description)
        XCTAssertEqual(boundedDescription(Array(0..<17)), "[0, 1, 2, 3, 4, 5, 6, 7, ... (17 values)]")
        XCTAssertEqual(boundedDescription([Int64](repeating: -1, count: 1 << 20)), "[-1, -1, -1, -1, -1, -1, -1, -1, ... (1048576 values)]")
    }

    /// An initializer declaring 65536 x 65536 x 1 x 1 = 2^32 values (8 bytes of data).
    func testInitializerOver2p31Values() throws {
        let ok = try load("onnx_conv_ok")
        XCTAssertEqual(ok.shapes[ok.output], [2, 8, 8])   // per image, without the batch axis
        XCTAssertEqual(ok.constants["W"]?.data, [0.5, -2.0])
        try expectRefused("onnx_initializer_2p32", ["'W'", "[65536, 65536, 1, 1]", "more than 2^31 values"])
    }

    /// Tensor bytes that are not in the file: (a) 1 GiB of floats declared, 8 bytes of raw data;
    /// (b) a raw_data field whose protobuf length (2^30) runs past the end of the tensor and file;
    /// (c) external data whose length (2^30) runs past the end of its 8-byte .weights file.
    func testTensorBytesBeyondTheFile() throws {
        try expectRefused("onnx_raw_short", ["'W'", "[1024, 1024, 16, 16]", "needs 1073741824 bytes, has 8"])

        let field = try load("onnx_raw_field_ok")
        XCTAssertEqual(field.constants["W"]?.data, [0.5, -2.0])
        try expectRefused("onnx_raw_field_beyond", ["not a valid ONNX protobuf", "length 1073741824 of field 9 runs past the end"])

        let ext = try load("onnx_external_ok")
        XCTAssertEqual(ext.constants["W"]?.data, [0.5, -2.0])
        try expectRefused("onnx_external_beyond", ["'W'", "length 1073741824", "lies outside 'limit_external.weights' (8 bytes)"])
    }

    /// Shape inference gives 2 x 16384 x 16384 = 2^29 values for a Conv's output (limit 2^28 per
    /// image); the control, 2 x 8192 x 16384 = 2^28, is accepted (loading allocates no activation).
    func testActivationsOver2p28Values() throws {
        let ok = try assertNoBigAllocation("onnx_activations_2p28") { try load("onnx_activations_2p28") }
        XCTAssertEqual(ok.shapes[ok.output], [2, 8192, 16384])
        try expectRefused("onnx_activations_2p29", ["[2, 16384, 16384]", "more than 268435456 values per image"])
    }

    /// An input dimension of 2^20 is refused; 2^20 - 1 is accepted.
    func testInputDimensionOf2p20() throws {
        let ok = try load("onnx_input_dim_ok")
        XCTAssertEqual(ok.inputShape, [1, (1 << 20) - 1, 1])
        try expectRefused("onnx_input_dim_2p20", ["input 'x'", "each 1 to 2^20 - 1", "1048576"])
    }

    func assertNoBigAllocation<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var out: T?
        try assertSmallPeakMemory(what) { out = try body() }
        return try XCTUnwrap(out)
    }
}
