import XCTest
@testable import IGEngine
import IGTestSupport

/// Checks an op's backward against central finite differences of
/// L(x) = <dy, f(x)>, accumulated in Double: for random directions v,
/// <backward(dy), v> must match (L(x + h v) - L(x - h v)) / 2h.
func checkGradient(_ op: Op, inputs: [Tensor], wrt: Int, seed: UInt64 = 7, h: Float = 1e-2,
                   tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line) throws {
    let y = try ReferenceOps.forward(op, inputs)
    let dy = randomTensor(y.shape, seed: seed &+ 1)
    let analytic = try ReferenceOps.backward(op, inputs, y: y, dy: dy, wrt: wrt)
    XCTAssertEqual(analytic.shape, inputs[wrt].shape, file: file, line: line)
    func loss(_ xs: [Tensor]) throws -> Double {
        let out = try ReferenceOps.forward(op, xs)
        var s = 0.0
        for i in 0..<out.count { s += Double(out.data[i]) * Double(dy.data[i]) }
        return s
    }
    for trial in 0..<3 {
        let v = randomTensor(inputs[wrt].shape, seed: seed &+ 100 &+ UInt64(trial))
        var plus = inputs, minus = inputs
        for i in 0..<v.count {
            plus[wrt].data[i] += h * v.data[i]
            minus[wrt].data[i] -= h * v.data[i]
        }
        let numeric = (try loss(plus) - loss(minus)) / (2 * Double(h))
        var dot = 0.0
        for i in 0..<v.count { dot += Double(analytic.data[i]) * Double(v.data[i]) }
        let scale = max(1.0, abs(numeric))
        XCTAssertLessThan(abs(dot - numeric) / scale, tolerance,
                          "\(op.name) wrt \(wrt): analytic \(dot) vs numeric \(numeric)", file: file, line: line)
    }
}
