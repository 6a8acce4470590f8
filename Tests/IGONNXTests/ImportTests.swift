import Foundation
import XCTest
import IGONNX
import IGEngine

final class ImportTests: XCTestCase {
    func load(_ name: String) throws -> Graph { try ONNXImporter.load(path: Fixtures.path(name)) }

    func ops(_ g: Graph) -> [String] { g.nodes.map { $0.op.name } }

    /// Every fixture with a reference imports, its input/output shapes match
    /// the PyTorch/onnx.reference arrays, and every node output has a shape.
    func testEveryFixtureImportsWithReferenceShapes() throws {
        let models = Fixtures.models
        XCTAssertGreaterThanOrEqual(models.count, 40)
        for m in models {
            let g = try load(m)
            let x = try NPY.read(Fixtures.dir + "/\(m).input.npy")
            let y = try NPY.read(Fixtures.dir + "/\(m).output.npy")
            XCTAssertEqual(g.inputShape, Array(x.shape.dropFirst()), m)
            XCTAssertEqual(g.shapes[g.output], Array(y.shape.dropFirst()), m)
            for n in g.nodes { XCTAssertNotNil(g.shapes[n.output], "\(m): \(n.name)") }
            for n in g.nodes { for i in n.inputs { XCTAssertTrue(g.shapes[i] != nil || g.constants[i] != nil, "\(m): \(i)") } }
        }
    }

    /// Numerical parity with PyTorch / onnx.reference through the engine's reference executor.
    func testReferenceEngineMatchesExpectedOutputs() throws {
        for m in Fixtures.models {
            let g = try load(m)
            let x = try NPY.read(Fixtures.dir + "/\(m).input.npy")
            let y = try NPY.read(Fixtures.dir + "/\(m).output.npy")
            XCTAssertGreaterThan(y.maxAbs, 0, m)
            var out = try ReferenceEngine(graph: g).forward(x)
            if g.removedSoftmax != nil {
                // The importer removed the final Softmax (output = logits): apply it here to compare with the file's output.
                let k = out.shape.last ?? 1
                for r in 0..<(out.count / k) {
                    let row = out.data[r * k ..< (r + 1) * k].map(Double.init)
                    let mx = row.max() ?? 0, e = row.map { exp($0 - mx) }, s = e.reduce(0, +)
                    for j in 0..<k { out.data[r * k + j] = Float(e[j] / s) }
                }
            }
            XCTAssertEqual(out.shape, y.shape, m)
            guard out.shape == y.shape else { continue }
            XCTAssertLessThanOrEqual(relativeError(out, y), 1e-4, m)
        }
    }

    func testOpListsAfterFolding() throws {
        for v in ["op13", "op17", "dyn"] {
            XCTAssertEqual(ops(try load("conv_bn_relu_\(v)")), ["Conv", "Relu", "Conv", "Relu"], v)
            XCTAssertEqual(ops(try load("concat_\(v)")), ["Conv", "Relu", "Conv", "Concat"], v)
            XCTAssertEqual(ops(try load("pad_\(v)")), ["Pad", "Conv"], v)
            XCTAssertEqual(ops(try load("transpose_\(v)")), ["Conv", "Transpose", "Mul", "Transpose"], v)
            XCTAssertEqual(ops(try load("pools_\(v)")), ["MaxPool", "AveragePool", "AveragePool", "MaxPool", "MaxPool", "Concat"], v)
            // Shape/Gather/Unsqueeze/Concat/Mul chains fold into two static reshapes.
            XCTAssertEqual(ops(try load("reshape_matmul_\(v)")), ["Conv", "Reshape", "MatMul", "Reshape", "Gemm"], v)
            // Elu, added through docs/ENGINE.md's checklist: its alpha read from the file.
            let elu = try load("elu_\(v)")
            XCTAssertEqual(ops(elu), ["Conv", "Elu", "Conv", "Elu"], v)
            XCTAssertEqual(elu.nodes[1].op, .unary(.elu(alpha: 0.7)), v)
            XCTAssertEqual(elu.nodes[3].op, .unary(.elu(alpha: 1)), v)
        }
        XCTAssertEqual(ops(try load("activations_op13")),
                       ["Conv", "HardSigmoid", "Mul", "HardSigmoid", "Sigmoid", "LeakyRelu", "Mul", "Add", "Sub"])
        XCTAssertEqual(ops(try load("activations_op17")),
                       ["Conv", "HardSwish", "HardSigmoid", "Sigmoid", "LeakyRelu", "Mul", "Add", "Sub"])
        XCTAssertEqual(ops(try load("flatten_gemm_op13")), ["Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"])
        // A final Softmax is removed at import (the output is its input, the logits).
        XCTAssertEqual(ops(try load("softmax_op17")), ["Conv", "GlobalAveragePool", "Flatten", "Gemm"])
        XCTAssertEqual(try load("softmax_op17").removedSoftmax, "Softmax")
        XCTAssertEqual(ops(try load("squeeze_unsqueeze_op13")),
                       ["Conv", "ReduceMean", "Unsqueeze", "Unsqueeze", "Conv", "Sigmoid", "Mul", "ReduceMean", "Unsqueeze", "Squeeze"])
        XCTAssertEqual(ops(try load("legacy_op9")), ["Pad", "Unsqueeze", "Squeeze", "ReduceMean", "Reshape"])
        XCTAssertEqual(ops(try load("autopad_op18")), ["Clip", "AveragePool", "MaxPool", "Add", "Pad", "ReduceMean", "Reshape"])
    }

    func testAttributes() throws {
        let pad = try load("pad_op13")  // F.pad(x, (1, 2, 0, 1), value=0.5): W by 1/2, H by 0/1
        XCTAssertEqual(pad.nodes[0].op, .pad(pads: [0, 0, 0, 1, 0, 0, 1, 2], value: 0.5))
        XCTAssertEqual(try load("pad_dyn").nodes[0].op, pad.nodes[0].op)

        let rm = try load("reshape_matmul_op13")
        XCTAssertEqual(rm.nodes[1].op, .reshape(shape: [1, 4, 64]))
        XCTAssertEqual(rm.shapes[rm.nodes[1].output], [4, 64])

        let dw = try load("depthwise_relu6_op13")
        guard case .conv(let a) = dw.nodes[1].op else { return XCTFail("not a conv") }
        XCTAssertEqual(a.group, 6); XCTAssertEqual(a.strides, [2, 2]); XCTAssertEqual(a.pads, [1, 1, 1, 1])
        XCTAssertEqual(dw.nodes[2].op, .unary(.clip(min: 0, max: 6)))

        let cbr = try load("conv_bn_relu_op17")
        guard case .conv(let g) = cbr.nodes[2].op else { return XCTFail("not a conv") }
        XCTAssertEqual(g.group, 2); XCTAssertEqual(g.dilations, [2, 2]); XCTAssertEqual(g.pads, [2, 2, 2, 2])

        let pools = try load("pools_op17")
        guard case .maxPool(let mp) = pools.nodes[0].op, case .averagePool(let ap) = pools.nodes[1].op,
              case .averagePool(let ap2) = pools.nodes[2].op else { return XCTFail("pool ops") }
        XCTAssertTrue(mp.ceilMode); XCTAssertTrue(ap.ceilMode); XCTAssertFalse(ap.countIncludePad)
        XCTAssertTrue(ap2.countIncludePad); XCTAssertFalse(ap2.ceilMode)

        // auto_pad by hand: AveragePool k2 s2 SAME_LOWER on 7x9 -> 4x5, one pad at the start of each axis;
        // MaxPool k3 s2 SAME_UPPER -> 4x5 with one pad on each side.
        let auto = try load("autopad_op18")
        guard case .averagePool(let sl) = auto.nodes[1].op, case .maxPool(let su) = auto.nodes[2].op else { return XCTFail() }
        XCTAssertEqual(sl.pads, [1, 1, 0, 0]); XCTAssertEqual(su.pads, [1, 1, 1, 1])
        XCTAssertEqual(auto.nodes[0].op, .unary(.clip(min: -.infinity, max: 0.6)))
        XCTAssertEqual(auto.nodes[4].op, .pad(pads: [0, 0, 1, 0, 0, 0, 2, 1], value: -0.25))
        XCTAssertEqual(auto.nodes[5].op, .reduceMean(axes: [3], keepDims: true))

        // Opset-9 Clip from attributes, fp16 weight cast folded into a constant.
        let d = try load("dtypes_clip6")
        XCTAssertEqual(ops(d), ["Conv", "Mul", "BatchNormalization", "Clip"])
        XCTAssertEqual(d.nodes[3].op, .unary(.clip(min: -0.5, max: 0.75)))
        XCTAssertEqual(d.constants["w"]?.shape, [4, 3, 3, 3])
    }

    func testBatchNormFoldsIntoConvOnlyWhenSoleConsumer() throws {
        let g = try load("conv_bn_fold")
        XCTAssertEqual(ops(g), ["Conv", "Relu", "Conv", "BatchNormalization", "Add"])
        XCTAssertEqual(g.nodes[0].output, "y1")       // BN output name kept
        XCTAssertEqual(g.nodes[0].name, "conv1")
        XCTAssertNil(g.shapes["c1"])
        XCTAssertEqual(g.nodes[0].inputs.count, 3)
        XCTAssertNotEqual(g.nodes[0].inputs[1], "w1")  // new folded weight
        XCTAssertEqual(g.nodes[2].output, "c2")       // conv2 also feeds Add: not folded
        XCTAssertEqual(g.nodes[3].inputs[0], "c2")
        let scale = g.constants[g.nodes[3].inputs[1]]
        XCTAssertEqual(scale?.shape, [5])
    }

    func testExternalDataMatchesInlineModel() throws {
        let ext = try load("external_data")
        let inl = try load("conv_bn_relu_op13")
        XCTAssertEqual(ext.nodes, inl.nodes)
        XCTAssertEqual(ext.constants, inl.constants)
        XCTAssertFalse(ext.constants.isEmpty)
    }

    func testLoadFromData() throws {
        let p = Fixtures.path("tiny_resnet_op17")
        let d = try Data(contentsOf: URL(fileURLWithPath: p))
        let g = try ONNXImporter.load(data: d, fileName: "in-memory.onnx")
        XCTAssertEqual(g.nodes, try load("tiny_resnet_op17").nodes)
    }
}
