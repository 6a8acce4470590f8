import XCTest
import IGTestSupport
@testable import IGEngine

/// Forward values of the reference ops on small hand-computable cases.
final class ReferenceForwardTests: XCTestCase {
    func testConvMatchesHandComputation() throws {
        // 1x1x3x3 input, 1x1x2x2 kernel, stride 1, no padding.
        let x = Tensor(shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = Tensor(shape: [1, 1, 2, 2], data: [1, 0, 0, -1])
        let y = try ReferenceOps.forward(.conv(ConvAttributes()), [x, w, Tensor(shape: [1], data: [0.5])])
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.data, [-3.5, -3.5, -3.5, -3.5] as [Float])  // 1-5, 2-6, 4-8, 5-9, each + 0.5
    }

    func testConvPaddingStrideDilationGroups() throws {
        // Depthwise (groups = 2), pad 1, stride 2: each output is a sum over the valid taps.
        let x = Tensor(shape: [1, 2, 3, 3], data: (1...18).map(Float.init))
        let w = Tensor(shape: [2, 1, 3, 3], data: [Float](repeating: 1, count: 18))
        let a = ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1], group: 2)
        let y = try ReferenceOps.forward(.conv(a), [x, w])
        XCTAssertEqual(y.shape, [1, 2, 2, 2])
        // channel 0, output (0,0): taps (0,0),(0,1),(1,0),(1,1) = 1+2+4+5
        XCTAssertEqual(y.data[0], 12)
        // channel 1, output (1,1): taps rows 1-2, cols 1-2 of 10...18 = 14+15+17+18
        XCTAssertEqual(y.data[7], 64)
        let dil = ConvAttributes(dilations: [2, 2])
        let yd = try ReferenceOps.forward(.conv(dil), [Tensor(shape: [1, 1, 3, 3], data: (1...9).map(Float.init)),
                                                      Tensor(shape: [1, 1, 2, 2], data: [1, 1, 1, 1])])
        XCTAssertEqual(yd.data, [20])  // taps 1, 3, 7, 9
    }

    func testPoolingAndCeilMode() throws {
        let x = Tensor(shape: [1, 1, 3, 3], data: [1, 5, 2, 4, 3, 9, 0, 8, 7])
        let mp = try ReferenceOps.forward(.maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2], ceilMode: true)), [x])
        XCTAssertEqual(mp.shape, [1, 1, 2, 2])
        XCTAssertEqual(mp.data, [5, 9, 8, 7])
        let ap = try ReferenceOps.forward(.averagePool(PoolAttributes(kernel: [3, 3], pads: [1, 1, 1, 1])), [x])
        XCTAssertEqual(ap.shape, [1, 1, 3, 3])
        XCTAssertEqual(ap.data[0], 13.0 / 4, accuracy: 1e-6)  // 1+5+4+3 over 4 valid cells
        let api = try ReferenceOps.forward(.averagePool(PoolAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true)), [x])
        XCTAssertEqual(api.data[0], 13.0 / 9, accuracy: 1e-6)
    }

    func testBroadcastingArithmetic() throws {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3], data: [10, 20, 30])
        XCTAssertEqual(try ReferenceOps.forward(.binary(.add), [a, b]).data, [11, 22, 33, 14, 25, 36])
        let c = Tensor(shape: [2, 1], data: [2, 4])
        XCTAssertEqual(try ReferenceOps.forward(.binary(.div), [a, c]).data, [0.5, 1, 1.5, 1, 1.25, 1.5])
    }

    func testGemmTransBAndBias() throws {
        let a = Tensor(shape: [1, 2], data: [1, 2])
        let b = Tensor(shape: [3, 2], data: [1, 0, 0, 1, 1, 1])   // transB: B^T is 2x3
        let c = Tensor(shape: [3], data: [0, 0, 1])
        let y = try ReferenceOps.forward(.gemm(GemmAttributes(transB: true)), [a, b, c])
        XCTAssertEqual(y.data, [1, 2, 4])
    }

    func testBatchKeepingReshapeAndSoftmax() throws {
        let x = randomTensor([3, 2, 2, 2], seed: 1)
        let r = try ReferenceOps.forward(.reshape(shape: [1, -1]), [x])
        XCTAssertEqual(r.shape, [3, 8])
        let s = try ReferenceOps.forward(.softmax(axis: -1), [r])
        for n in 0..<3 { XCTAssertEqual(s.data[n * 8 ..< n * 8 + 8].reduce(0, +), 1, accuracy: 1e-5) }
    }

    func testActivationsAtKnownPoints() throws {
        let x = Tensor(shape: [1, 5], data: [-4, -1, 0, 1, 4])
        let hs = try ReferenceOps.forward(.unary(.hardSwish), [x]).data
        for (got, want) in zip(hs, [0, -1.0 / 3, 0, 2.0 / 3, 4] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        XCTAssertEqual(try ReferenceOps.forward(.unary(.clip(min: 0, max: 6)), [x]).data, [0, 0, 0, 1, 4])
        XCTAssertEqual(try ReferenceOps.forward(.unary(.leakyRelu(alpha: 0.1)), [x]).data, [-0.4, -0.1, 0, 1, 4])
        // numpy: np.where(x > 0, x, alpha * np.expm1(x)) for alpha 0.7 and 1.
        for (got, want) in zip(try ReferenceOps.forward(.unary(.elu(alpha: 0.7)), [x]).data,
                               [-0.68717905, -0.44248439, 0, 1, 4] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        for (got, want) in zip(try ReferenceOps.forward(.unary(.elu(alpha: 1)), [x]).data,
                               [-0.98168436, -0.63212056, 0, 1, 4] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    }
}

/// Every op's backward against central finite differences.
final class ReferenceBackwardTests: XCTestCase {
    func testConvBackward() throws {
        let a = ConvAttributes(strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2], group: 2)
        try checkGradient(.conv(a), inputs: [randomTensor([2, 4, 7, 6], seed: 1), randomTensor([6, 2, 3, 2], seed: 2),
                                             randomTensor([6], seed: 3)], wrt: 0)
        let fused = ConvAttributes(pads: [1, 1, 1, 1], activation: .clip(min: 0, max: 6))
        try checkGradient(.conv(fused), inputs: [spreadTensor([1, 2, 5, 5], seed: 4), randomTensor([3, 2, 3, 3], seed: 5)], wrt: 0, h: 1e-3)
    }

    func testActivationBackward() throws {
        for kind in UnaryOp.Kind.allCases {
            try checkGradient(.unary(exampleUnary(kind)), inputs: [spreadTensor([2, 3, 4, 5], seed: 11)], wrt: 0, h: 1e-3)
        }
        try checkGradient(.unary(.hardSwish), inputs: [Tensor(shape: [1, 4], data: [-5, -2, 2.5, 5])], wrt: 0, h: 1e-3)
    }

    func testBatchNormBackward() throws {
        try checkGradient(.batchNorm, inputs: [randomTensor([2, 3, 4, 4], seed: 1), randomTensor([3], seed: 2), randomTensor([3], seed: 3)], wrt: 0)
    }

    func testBinaryBackwardWithBroadcasting() throws {
        for op in BinaryOp.allCases {
            let a = randomTensor([2, 3, 4, 4], seed: 21)
            let b = randomTensor([1, 3, 1, 1], seed: 22, range: 0.5...2)
            try checkGradient(.binary(op), inputs: [a, b], wrt: 0)
            try checkGradient(.binary(op), inputs: [a, b], wrt: 1)
        }
    }

    func testPoolBackward() throws {
        let a = PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)
        try checkGradient(.maxPool(a), inputs: [spreadTensor([2, 2, 7, 7], seed: 31)], wrt: 0, h: 1e-3)
        try checkGradient(.averagePool(a), inputs: [randomTensor([2, 2, 7, 7], seed: 32)], wrt: 0)
        var b = a
        b.countIncludePad = true
        try checkGradient(.averagePool(b), inputs: [randomTensor([2, 2, 7, 7], seed: 33)], wrt: 0)
        try checkGradient(.globalAveragePool, inputs: [randomTensor([2, 3, 5, 4], seed: 34)], wrt: 0)
    }

    func testLinearBackward() throws {
        try checkGradient(.gemm(GemmAttributes(alpha: 0.5, beta: 2, transB: true)),
                          inputs: [randomTensor([3, 5], seed: 41), randomTensor([4, 5], seed: 42), randomTensor([4], seed: 43)], wrt: 0)
        try checkGradient(.gemm(GemmAttributes(transA: true)),
                          inputs: [randomTensor([5, 3], seed: 44), randomTensor([5, 4], seed: 45)], wrt: 0)
        try checkGradient(.matMul, inputs: [randomTensor([2, 3, 5], seed: 46), randomTensor([5, 4], seed: 47)], wrt: 0)
        try checkGradient(.matMul, inputs: [randomTensor([2, 3, 5], seed: 46), randomTensor([2, 5, 4], seed: 47)], wrt: 1)
    }

    func testShapeOpsBackward() throws {
        let x = randomTensor([2, 3, 4, 5], seed: 51)
        try checkGradient(.flatten(axis: 1), inputs: [x], wrt: 0)
        try checkGradient(.reshape(shape: [1, 12, -1]), inputs: [x], wrt: 0)
        try checkGradient(.transpose(perm: [0, 2, 3, 1]), inputs: [x], wrt: 0)
        try checkGradient(.unsqueeze(axes: [2]), inputs: [x], wrt: 0)
        try checkGradient(.squeeze(axes: [2]), inputs: [randomTensor([2, 3, 1, 5], seed: 52)], wrt: 0)
        try checkGradient(.pad(pads: [0, 0, 1, 2, 0, 0, 3, 0], value: 0.5), inputs: [x], wrt: 0)
        try checkGradient(.reduceMean(axes: [2, 3], keepDims: true), inputs: [x], wrt: 0)
        try checkGradient(.reduceMean(axes: [-1], keepDims: false), inputs: [x], wrt: 0)
        try checkGradient(.softmax(axis: 1), inputs: [x], wrt: 0)
        let y = randomTensor([2, 2, 4, 5], seed: 53)
        try checkGradient(.concat(axis: 1), inputs: [x, y], wrt: 0)
        try checkGradient(.concat(axis: 1), inputs: [x, y], wrt: 1)
    }
}
