import XCTest
@testable import IGEngine

/// A small deterministic generator so every test sees the same numbers.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float> = -1...1) -> Tensor {
    var g = SplitMix64(seed: seed)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &g) })
}

/// Values spread away from each other and from 0, so kinks (ReLU at 0, ties in
/// max pooling, Clip bounds) are never within the finite-difference step.
func spreadTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SplitMix64(seed: seed)
    let n = shape.reduce(1, *)
    var vals = (0..<n).map { Float($0 - n / 2) * 0.05 + 0.025 }
    vals.shuffle(using: &g)
    return Tensor(shape: shape, data: vals)
}

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
