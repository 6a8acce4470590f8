import XCTest
import IGTestSupport
@testable import IGEngine

/// Ops added for models from other exporters (issue 9): edge/reflect Pad and
/// LogSoftmax, forward on hand-computed values and backward by finite differences.
final class BYOMOpsTests: XCTestCase {
    func testEdgeAndReflectPadForward() throws {
        // One row [1, 2, 3], padded by 2 on the left and 1 on the right of the last axis.
        let x = Tensor(shape: [1, 1, 1, 3], data: [1, 2, 3])
        let pads = [0, 0, 0, 2, 0, 0, 0, 1]
        let edge = try ReferenceOps.forward(.padBorder(pads: pads, reflect: false), [x])
        XCTAssertEqual(edge.shape, [1, 1, 1, 6])
        XCTAssertEqual(edge.data, [1, 1, 1, 2, 3, 3])
        let reflect = try ReferenceOps.forward(.padBorder(pads: pads, reflect: true), [x])
        XCTAssertEqual(reflect.data, [3, 2, 1, 2, 3, 2])
        // Both spatial axes: a 2x2 image edge-padded by one on top and right.
        let y = Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])
        let e2 = try ReferenceOps.forward(.padBorder(pads: [0, 0, 1, 0, 0, 0, 0, 1], reflect: false), [y])
        XCTAssertEqual(e2.shape, [1, 1, 3, 3])
        XCTAssertEqual(e2.data, [1, 2, 2, 1, 2, 2, 3, 4, 4])
        XCTAssertThrowsError(try ReferenceOps.forward(.padBorder(pads: [0, 0, 0, 3, 0, 0, 0, 0], reflect: true), [x]),
                             "reflect pads as large as the axis are refused")
        XCTAssertThrowsError(try inferOutputShape(.padBorder(pads: [0, 0, 0, 3, 0, 0, 0, 0], reflect: true), inputs: [[1, 1, 1, 3]]))
    }

    func testLogSoftmaxForward() throws {
        let v: [Float] = [0.5, -1.25, 2.0, 0.0, 3.5, -0.75]
        let x = Tensor(shape: [2, 3], data: v)
        let y = try ReferenceOps.forward(.logSoftmax(axis: 1), [x])
        for r in 0..<2 {
            let row = (0..<3).map { Double(v[r * 3 + $0]) }
            let lse = log(row.map { exp($0) }.reduce(0, +))
            for j in 0..<3 { XCTAssertEqual(Double(y.data[r * 3 + j]), row[j] - lse, accuracy: 1e-6) }
        }
        XCTAssertEqual(try inferOutputShape(.logSoftmax(axis: -1), inputs: [[2, 3]]), [2, 3])
    }

    func testBackwardByFiniteDifferences() throws {
        let x = randomTensor([2, 3, 4, 5], seed: 91)
        try checkGradient(.padBorder(pads: [0, 0, 1, 2, 0, 0, 3, 1], reflect: false), inputs: [x], wrt: 0)
        try checkGradient(.padBorder(pads: [0, 0, 1, 2, 0, 0, 2, 1], reflect: true), inputs: [x], wrt: 0)
        try checkGradient(.logSoftmax(axis: 1), inputs: [x], wrt: 0)
        try checkGradient(.logSoftmax(axis: 3), inputs: [x], wrt: 0)
    }

    func testMaxPReluGlobalMaxLRNForward() throws {
        let a = Tensor(shape: [1, 2], data: [1, 5]), b = Tensor(shape: [1, 2], data: [3, 2])
        XCTAssertEqual(try ReferenceOps.forward(.binary(.max), [a, b]).data, [3, 5])
        let x = Tensor(shape: [1, 2, 1, 2], data: [-2, 3, -4, 1])
        let slope = Tensor(shape: [2, 1, 1], data: [0.25, 0.5])
        XCTAssertEqual(try ReferenceOps.forward(.prelu, [x, slope]).data, [-0.5, 3, -2, 1])
        let g = try ReferenceOps.forward(.globalMaxPool, [Tensor(shape: [1, 2, 2, 2], data: [1, 7, -3, 2, -5, -1, -2, -9])])
        XCTAssertEqual(g.shape, [1, 2, 1, 1])
        XCTAssertEqual(g.data, [7, -1])
        // size 3, alpha/size = 1, beta 1, bias 1 over channels [1, 2, 3]: d = [1+1+4, 1+1+4+9, 1+4+9].
        let l = try ReferenceOps.forward(.lrn(size: 3, alpha: 3, beta: 1, bias: 1), [Tensor(shape: [1, 3, 1, 1], data: [1, 2, 3])])
        XCTAssertEqual(l.data[0], 1.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(l.data[1], 2.0 / 15, accuracy: 1e-6)
        XCTAssertEqual(l.data[2], 3.0 / 14, accuracy: 1e-6)
    }

    func testMaxPReluGlobalMaxLRNBackward() throws {
        // Inputs kept >= 0.1 away from the kinks (x = 0 for PRelu, a = b for Max), so the finite
        // differences (step 1e-2) never straddle one.
        var x = randomTensor([2, 5, 3, 4], seed: 92)
        for i in 0..<x.count { x.data[i] += x.data[i] >= 0 ? 0.1 : -0.1 }
        var b = randomTensor([2, 5, 3, 4], seed: 93)
        for i in 0..<b.count { b.data[i] = x.data[i] + (b.data[i] >= 0 ? 0.1 + b.data[i] : b.data[i] - 0.1) }
        try checkGradient(.binary(.max), inputs: [x, b], wrt: 0)
        try checkGradient(.binary(.max), inputs: [x, b], wrt: 1)
        try checkGradient(.prelu, inputs: [x, randomTensor([5, 1, 1], seed: 95)], wrt: 0)
        try checkGradient(.globalMaxPool, inputs: [x], wrt: 0)
        try checkGradient(.lrn(size: 3, alpha: 1e-2, beta: 0.75, bias: 1), inputs: [x], wrt: 0)
        try checkGradient(.lrn(size: 4, alpha: 0.5, beta: 0.75, bias: 2), inputs: [x], wrt: 0)
    }
}
