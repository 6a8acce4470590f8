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
}
