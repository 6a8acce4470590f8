import Foundation

/// Reference element-wise ops: activations, per-channel affine (batch norm)
/// and numpy-broadcasting binary arithmetic, each with its backward.
enum RefElementwise {
    // MARK: unary activations

    @inline(__always)
    static func unary(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .relu: return max(x, 0)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        case .leakyRelu(let a): return x >= 0 ? x : a * x
        case .sigmoid: return 1 / (1 + exp(-x))
        case .hardSigmoid(let a, let b): return min(max(a * x + b, 0), 1)
        case .hardSwish: return x * min(max(x / 6 + 0.5, 0), 1)
        case .elu(let a): return x > 0 ? x : a * (exp(x) - 1)
        }
    }

    /// d unary(x) / dx, following PyTorch's choices at the kinks.
    @inline(__always)
    static func unaryDerivative(_ op: UnaryOp, x: Float, y: Float) -> Float {
        switch op {
        case .relu: return x > 0 ? 1 : 0
        case .clip(let lo, let hi): return (x > lo && x < hi) ? 1 : 0
        case .leakyRelu(let a): return x > 0 ? 1 : a
        case .sigmoid: return y * (1 - y)
        case .hardSigmoid(let a, let b):
            let t = a * x + b
            return (t > 0 && t < 1) ? a : 0
        case .hardSwish:
            if x < -3 { return 0 }
            if x > 3 { return 1 }
            return x / 3 + 0.5
        case .elu(let a): return x > 0 ? 1 : a * exp(x)
        }
    }

    static func unaryForward(_ op: UnaryOp, _ x: Tensor) -> Tensor {
        var y = x
        y.data.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = unary(op, p[i]) }
        }
        return y
    }

    static func unaryBackward(_ op: UnaryOp, x: Tensor, y: Tensor, dy: Tensor) -> Tensor {
        var dx = dy
        dx.data.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] *= unaryDerivative(op, x: x.data[i], y: y.data[i]) }
        }
        return dx
    }

    static func applyActivation(_ a: Activation, to t: inout Tensor) {
        guard let op = a.unary else { return }
        t = unaryForward(op, t)
    }

    /// Undo a fused activation on the gradient, given the activated output
    /// (for ReLU and Clip the derivative is readable from the output alone).
    static func activationBackward(_ a: Activation, y: Tensor, dy: Tensor) -> Tensor {
        switch a {
        case .none: return dy
        case .relu:
            var dx = dy
            for i in 0..<dx.count where y.data[i] <= 0 { dx.data[i] = 0 }
            return dx
        case .clip(let lo, let hi):
            var dx = dy
            for i in 0..<dx.count where y.data[i] <= lo || y.data[i] >= hi { dx.data[i] = 0 }
            return dx
        }
    }

    // MARK: PRelu

    static func preluForward(_ x: Tensor, _ slope: Tensor) throws -> Tensor {
        let idx = broadcastIndex(slope.shape, to: x.shape)
        guard slope.shape.count <= x.rank, (try? broadcastShape(x.shape, slope.shape)) == x.shape else {
            throw EngineError("PRelu: slope \(slope.shape) does not broadcast to \(x.shape)")
        }
        var y = x
        for i in 0..<x.count where x.data[i] < 0 { y.data[i] = x.data[i] * slope.data[idx[i]] }
        return y
    }

    static func preluBackward(_ x: Tensor, _ slope: Tensor, dy: Tensor) throws -> Tensor {
        let idx = broadcastIndex(slope.shape, to: x.shape)
        var dx = dy
        for i in 0..<x.count where x.data[i] < 0 { dx.data[i] = dy.data[i] * slope.data[idx[i]] }
        return dx
    }

    // MARK: batch norm (per-channel affine)

    static func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor {
        guard x.rank >= 2, scale.count == x.shape[1], shift.count == x.shape[1] else {
            throw EngineError("BatchNormalization: \(x.shape[1]) channels but \(scale.count) scales")
        }
        let c = x.shape[1], inner = x.count / (x.shape[0] * c)
        var y = x
        for n in 0..<x.shape[0] {
            for ch in 0..<c {
                let base = (n * c + ch) * inner
                let s = scale.data[ch], b = shift.data[ch]
                for i in 0..<inner { y.data[base + i] = x.data[base + i] * s + b }
            }
        }
        return y
    }

    static func channelAffineBackward(_ dy: Tensor, scale: Tensor) -> Tensor {
        let c = dy.shape[1], inner = dy.count / (dy.shape[0] * c)
        var dx = dy
        for n in 0..<dy.shape[0] {
            for ch in 0..<c {
                let base = (n * c + ch) * inner
                for i in 0..<inner { dx.data[base + i] *= scale.data[ch] }
            }
        }
        return dx
    }

    // MARK: broadcasting binary ops

    static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        var out = [Int]()
        for i in 0..<r {
            if pa[i] == pb[i] || pb[i] == 1 { out.append(pa[i]) }
            else if pa[i] == 1 { out.append(pb[i]) }
            else { throw EngineError("cannot broadcast shapes \(a) and \(b)") }
        }
        return out
    }

    /// For every output index, the flat index into an input of shape `s`
    /// broadcast to `out`.
    static func broadcastIndex(_ s: [Int], to out: [Int]) -> [Int] {
        let r = out.count
        let ps = [Int](repeating: 1, count: r - s.count) + s
        let inStrides = Tensor.strides(of: ps)
        let total = out.reduce(1, *)
        var idx = [Int](repeating: 0, count: total)
        var coord = [Int](repeating: 0, count: r)
        for i in 0..<total {
            var off = 0
            for d in 0..<r where ps[d] != 1 { off += coord[d] * inStrides[d] }
            idx[i] = off
            var d = r - 1
            while d >= 0 {
                coord[d] += 1
                if coord[d] < out[d] { break }
                coord[d] = 0
                d -= 1
            }
        }
        return idx
    }

    @inline(__always)
    static func apply(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .max: return Swift.max(a, b)
        }
    }

    static func binaryForward(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        if a.shape == b.shape {
            var y = a
            for i in 0..<y.count { y.data[i] = apply(op, a.data[i], b.data[i]) }
            return y
        }
        let out = try broadcastShape(a.shape, b.shape)
        let ia = broadcastIndex(a.shape, to: out), ib = broadcastIndex(b.shape, to: out)
        var y = [Float](repeating: 0, count: ia.count)
        for i in 0..<y.count { y[i] = apply(op, a.data[ia[i]], b.data[ib[i]]) }
        return Tensor(shape: out, data: y)
    }

    /// Gradient with respect to input `wrt` (0 = a, 1 = b), summed back over
    /// the broadcast axes.
    static func binaryBackward(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, dy: Tensor, wrt: Int) -> Tensor {
        let out = dy.shape
        let ia = broadcastIndex(a.shape, to: out), ib = broadcastIndex(b.shape, to: out)
        let target = wrt == 0 ? a : b
        var g = [Float](repeating: 0, count: target.count)
        for i in 0..<dy.count {
            let av = a.data[ia[i]], bv = b.data[ib[i]], d = dy.data[i]
            let local: Float
            switch (op, wrt) {
            case (.add, _): local = 1
            case (.sub, 0): local = 1
            case (.sub, _): local = -1
            case (.mul, 0): local = bv
            case (.mul, _): local = av
            case (.div, 0): local = 1 / bv
            case (.div, _): local = -av / (bv * bv)
            case (.max, 0): local = av >= bv ? 1 : 0
            case (.max, _): local = av >= bv ? 0 : 1
            }
            g[wrt == 0 ? ia[i] : ib[i]] += d * local
        }
        return Tensor(shape: target.shape, data: g)
    }
}
