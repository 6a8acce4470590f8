import Foundation
import XCTest
import IGONNX
import IGEngine

/// Random truncations and byte flips of real models must throw or load, never crash.
final class FuzzTests: XCTestCase {
    struct LCG { var s: UInt64; mutating func next() -> Int { s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) } }

    func fuzz(_ name: String, flips: Int) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
        var rng = LCG(s: UInt64(bytes.count))
        var thrown = 0, loaded = 0
        // Truncations: every length for the first 64 bytes, then a stride through the file.
        var lengths = Array(0..<min(64, bytes.count))
        lengths += Swift.stride(from: 64, to: bytes.count, by: max(1, bytes.count / 300)).map { $0 }
        for n in lengths {
            do { _ = try ONNXImporter.load(data: Data(bytes[..<n]), fileName: "t.onnx"); loaded += 1 } catch { thrown += 1 }
        }
        XCTAssertGreaterThan(thrown, lengths.count / 2, name)
        for _ in 0..<flips {
            var b = bytes
            for _ in 0..<(1 + rng.next() % 4) {
                let i = rng.next() % b.count
                b[i] = rng.next() % 3 == 0 ? UInt8(rng.next() % 256) : b[i] ^ UInt8(1 << (rng.next() % 8))
            }
            do {
                let g = try ONNXImporter.load(data: Data(b), fileName: "f.onnx")
                // Whatever loads must be self-consistent.
                XCTAssertNotNil(g.shapes[g.output])
                loaded += 1
            } catch { thrown += 1 }
        }
        XCTAssertGreaterThan(thrown, 0)
    }

    /// IGONNX_FUZZ_SCALE=n multiplies the work (for long runs in a debug build, where bounds are checked).
    var scale: Int { Int(ProcessInfo.processInfo.environment["IGONNX_FUZZ_SCALE"] ?? "") ?? 1 }

    func testFuzzEveryFixture() throws {
        for m in Fixtures.models { try fuzz(m, flips: 60 * scale) }
    }

    func testFuzzDynamoFalse() throws { try fuzz("tiny_resnet_op13", flips: 1500) }
    func testFuzzDynamoTrue() throws { try fuzz("reshape_matmul_dyn", flips: 800) }
    func testFuzzHandBuilt() throws {
        try fuzz("autopad_op18", flips: 1500)
        try fuzz("dtypes_clip6", flips: 800)
        try fuzz("pad_op13", flips: 1500)
    }
}
