import Foundation
import XCTest
import IGEngine
@testable import IGFuzzTargets

/// The onnx target's structure-aware mutator (Sources/IGFuzzTargets/ProtobufMutator.swift).
final class ProtobufMutatorTests: XCTestCase {
    static let models = ReplayTests.files("onnx").filter { $0.pathExtension == "onnx" && !$0.lastPathComponent.hasPrefix("bad_") }

    /// Reading and writing back gives the same bytes for every fixture model (exported by
    /// PyTorch and onnx, which write varints in their shortest form).
    func testEveryModelRoundTrips() throws {
        XCTAssertGreaterThan(Self.models.count, 30)
        for url in Self.models {
            let bytes = [UInt8](try Data(contentsOf: url))
            let fields = try XCTUnwrap(ProtobufMutator.parse(bytes[...]), url.lastPathComponent)
            XCTAssertEqual(ProtobufMutator.serialize(fields), bytes, url.lastPathComponent)
        }
    }

    func testMalformedWireFormatIsRefused() {
        XCTAssertNil(ProtobufMutator.parse([0x0A, 0x05, 0x41][...]), "length past the end")
        XCTAssertNil(ProtobufMutator.parse([0x0B][...]), "a group (wire type 3)")
        XCTAssertNil(ProtobufMutator.parse([0x08, 0xFF, 0xFF][...]), "a varint cut short")
        XCTAssertNil(ProtobufMutator.parse([0x00, 0x01][...]), "field number 0")
        XCTAssertEqual(ProtobufMutator.parse([0x0A, 0x02, 0x08, 0x01][...]),
                       [.init(number: 1, value: .message([.init(number: 1, value: .varint(1))]))])
    }

    /// What the mutator is for: its mutants get past the protobuf reader far more often than
    /// libFuzzer-like byte edits of the same models, and they still differ from the model.
    func testMutantsGetPastTheProtobufReader() throws {
        var rng = SplitMix64(seed: 11)
        func byteEdit(_ b: [UInt8], _ maxSize: Int) -> [UInt8] {   // a stand-in for LLVMFuzzerMutate
            var b = b
            switch rng.next() % 3 {
            case 0 where !b.isEmpty: b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 << (rng.next() % 8))
            case 1 where b.count < maxSize: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(b.count + 1)))
            default: if !b.isEmpty { b.remove(at: Int(rng.next() % UInt64(b.count))) }
            }
            return b
        }
        let seeds = Self.models.filter { ["tiny_resnet_op17.onnx", "elu_op17.onnx", "conv_bn_relu_op17.onnx", "flatten_gemm_op13.onnx"].contains($0.lastPathComponent) }
        XCTAssertFalse(seeds.isEmpty)
        var structured = (tried: 0, past: 0), plain = (tried: 0, past: 0)
        let refused = "onnx: refused at the protobuf"
        for url in seeds {
            let model = [UInt8](try Data(contentsOf: url))
            for i in 0..<150 {
                if let m = ProtobufMutator.mutate(model, maxSize: model.count + 256, seed: UInt64(i), mutateBytes: byteEdit) {
                    XCTAssertNotEqual(m, model)
                    XCTAssertLessThanOrEqual(m.count, model.count + 256)
                    let before = FuzzTargets.stats[refused]
                    FuzzTargets.onnx(m)
                    structured.tried += 1
                    if FuzzTargets.stats[refused] == before { structured.past += 1 }
                }
                let before = FuzzTargets.stats[refused]
                FuzzTargets.onnx(byteEdit(model, model.count + 256))
                plain.tried += 1
                if FuzzTargets.stats[refused] == before { plain.past += 1 }
            }
        }
        let s = Double(structured.past) / Double(max(1, structured.tried)), p = Double(plain.past) / Double(plain.tried)
        print("ProtobufMutatorTests: past the protobuf reader: mutator \(structured.past)/\(structured.tried), byte edits \(plain.past)/\(plain.tried)")
        XCTAssertGreaterThan(structured.tried, seeds.count * 100, "the mutator declined too often")
        XCTAssertGreaterThan(s, 0.85)
        XCTAssertGreaterThan(s, p + 0.3)
    }
}
