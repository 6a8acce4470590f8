import Foundation

/// Reference data-movement ops and reductions. Every shape op keeps the batch
/// axis first; their backward passes move the gradient back unchanged.
enum RefShape {
    static func axis(_ a: Int, rank: Int) -> Int { a < 0 ? a + rank : a }

    static func flattenShape(_ s: [Int], axis a: Int) -> [Int] {
        let ax = axis(a, rank: s.count)
        return [s[..<ax].reduce(1, *), s[ax...].reduce(1, *)]
    }

    /// The engine's batch-keeping Reshape (see `Op.reshape`).
    static func reshapeShape(_ s: [Int], target: [Int]) throws -> [Int] {
        guard !s.isEmpty else { throw EngineError("Reshape: scalar input") }
        let per = s.dropFirst().reduce(1, *)
        var rest = Array(target.dropFirst())
        for (i, v) in rest.enumerated() where v == 0 {
            guard i + 1 < s.count else { throw EngineError("Reshape: 0 in target \(target) has no input axis") }
            rest[i] = s[i + 1]
        }
        let known = rest.filter { $0 != -1 }.reduce(1, *)
        if let minus = rest.firstIndex(of: -1) {
            guard known > 0, per % known == 0 else { throw EngineError("Reshape: cannot reshape \(s) to \(target)") }
            rest[minus] = per / known
        }
        guard rest.reduce(1, *) == per else { throw EngineError("Reshape: cannot reshape \(s) to \(target)") }
        return [s[0]] + rest
    }

    static func squeezeShape(_ s: [Int], axes: [Int]) throws -> [Int] {
        let ax = Set(axes.isEmpty ? s.indices.filter { s[$0] == 1 && $0 != 0 } : axes.map { axis($0, rank: s.count) })
        guard !ax.contains(0) else { throw EngineError("Squeeze: cannot remove the batch axis") }
        for a in ax where a >= s.count || s[a] != 1 { throw EngineError("Squeeze: axis \(a) of \(s) is not 1") }
        return s.indices.filter { !ax.contains($0) }.map { s[$0] }
    }

    static func unsqueezeShape(_ s: [Int], axes: [Int]) throws -> [Int] {
        let r = s.count + axes.count
        let ax = Set(axes.map { axis($0, rank: r) })
        guard !ax.contains(0) else { throw EngineError("Unsqueeze: cannot insert before the batch axis") }
        var out = [Int](), it = s.makeIterator()
        for i in 0..<r { out.append(ax.contains(i) ? 1 : it.next() ?? 1) }
        return out
    }

    static func transpose(_ x: Tensor, perm: [Int]) throws -> Tensor {
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else { throw EngineError("Transpose: bad perm \(perm) for \(x.shape)") }
        let outShape = perm.map { x.shape[$0] }
        let inStrides = x.strides
        var y = [Float](repeating: 0, count: x.count)
        var coord = [Int](repeating: 0, count: x.rank)
        for i in 0..<x.count {
            var off = 0
            for d in 0..<x.rank { off += coord[d] * inStrides[perm[d]] }
            y[i] = x.data[off]
            var d = x.rank - 1
            while d >= 0 { coord[d] += 1; if coord[d] < outShape[d] { break }; coord[d] = 0; d -= 1 }
        }
        return Tensor(shape: outShape, data: y)
    }

    static func inversePerm(_ p: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: p.count)
        for (i, v) in p.enumerated() { inv[v] = i }
        return inv
    }

    static func concat(_ xs: [Tensor], axis a: Int) throws -> Tensor {
        let ax = axis(a, rank: xs[0].rank)
        var out = xs[0].shape
        out[ax] = 0
        for x in xs {
            guard x.rank == out.count else { throw EngineError("Concat: ranks differ") }
            for d in 0..<x.rank where d != ax && x.shape[d] != out[d] { throw EngineError("Concat: shapes \(xs.map(\.shape)) differ off axis \(ax)") }
            out[ax] += x.shape[ax]
        }
        let outer = out[..<ax].reduce(1, *)
        var y = [Float]()
        y.reserveCapacity(out.reduce(1, *))
        for o in 0..<outer {
            for x in xs {
                let chunk = x.shape[ax...].reduce(1, *)
                y.append(contentsOf: x.data[o * chunk ..< (o + 1) * chunk])
            }
        }
        return Tensor(shape: out, data: y)
    }

    /// The slice of a concat's output gradient that belongs to input `index`.
    static func concatBackward(_ dy: Tensor, shapes: [[Int]], axis a: Int, index: Int) -> Tensor {
        let ax = axis(a, rank: dy.rank)
        let outer = dy.shape[..<ax].reduce(1, *)
        let outChunk = dy.shape[ax...].reduce(1, *)
        var before = 0
        for s in shapes[..<index] { before += s[ax...].reduce(1, *) }
        let chunk = shapes[index][ax...].reduce(1, *)
        var g = [Float]()
        g.reserveCapacity(outer * chunk)
        for o in 0..<outer { g.append(contentsOf: dy.data[o * outChunk + before ..< o * outChunk + before + chunk]) }
        return Tensor(shape: shapes[index], data: g)
    }

    /// Constant padding; `pads` = begins for every axis, then ends.
    static func pad(_ x: Tensor, pads: [Int], value: Float) throws -> Tensor {
        let r = x.rank
        guard pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }), pads[0] == 0, pads[r] == 0 else {
            throw EngineError("Pad: pads \(pads) are not supported for \(x.shape) (non-negative, none on the batch axis)")
        }
        let out = (0..<r).map { x.shape[$0] + pads[$0] + pads[r + $0] }
        var y = Tensor(repeating: value, shape: out)
        let os = y.strides
        var coord = [Int](repeating: 0, count: r)
        for i in 0..<x.count {
            var off = 0
            for d in 0..<r { off += (coord[d] + pads[d]) * os[d] }
            y.data[off] = x.data[i]
            var d = r - 1
            while d >= 0 { coord[d] += 1; if coord[d] < x.shape[d] { break }; coord[d] = 0; d -= 1 }
        }
        return y
    }

    static func padBackward(_ dy: Tensor, xShape: [Int], pads: [Int]) -> Tensor {
        let r = xShape.count
        let os = dy.strides
        var g = [Float](repeating: 0, count: xShape.reduce(1, *))
        var coord = [Int](repeating: 0, count: r)
        for i in 0..<g.count {
            var off = 0
            for d in 0..<r { off += (coord[d] + pads[d]) * os[d] }
            g[i] = dy.data[off]
            var d = r - 1
            while d >= 0 { coord[d] += 1; if coord[d] < xShape[d] { break }; coord[d] = 0; d -= 1 }
        }
        return Tensor(shape: xShape, data: g)
    }

    static func reduceMean(_ x: Tensor, axes: [Int], keepDims: Bool) throws -> Tensor {
        let ax = Set(axes.isEmpty ? Array(1..<x.rank) : axes.map { axis($0, rank: x.rank) })
        guard !ax.contains(0) else { throw EngineError("ReduceMean: cannot reduce over the batch axis") }
        let keptShape = (0..<x.rank).map { ax.contains($0) ? 1 : x.shape[$0] }
        let idx = RefElementwise.broadcastIndex(keptShape, to: x.shape)
        var y = [Float](repeating: 0, count: keptShape.reduce(1, *))
        for i in 0..<x.count { y[idx[i]] += x.data[i] }
        let n = Float(x.count / y.count)
        for i in 0..<y.count { y[i] /= n }
        let out = keepDims ? keptShape : (0..<x.rank).filter { !ax.contains($0) }.map { x.shape[$0] }
        return Tensor(shape: out, data: y)
    }

    static func reduceMeanBackward(_ dy: Tensor, xShape: [Int], axes: [Int]) -> Tensor {
        let ax = Set(axes.isEmpty ? Array(1..<xShape.count) : axes.map { axis($0, rank: xShape.count) })
        let keptShape = (0..<xShape.count).map { ax.contains($0) ? 1 : xShape[$0] }
        let idx = RefElementwise.broadcastIndex(keptShape, to: xShape)
        let total = xShape.reduce(1, *)
        let n = Float(total / dy.count)
        var g = [Float](repeating: 0, count: total)
        for i in 0..<total { g[i] = dy.data[idx[i]] / n }
        return Tensor(shape: xShape, data: g)
    }

    static func softmax(_ x: Tensor, axis a: Int) -> Tensor {
        let ax = axis(a, rank: x.rank)
        let inner = x.shape[(ax + 1)...].reduce(1, *), len = x.shape[ax]
        let outer = x.count / (inner * len)
        var y = x
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var m = -Float.infinity
                for j in 0..<len { m = max(m, x.data[base + j * inner]) }
                var s: Float = 0
                for j in 0..<len { let e = exp(x.data[base + j * inner] - m); y.data[base + j * inner] = e; s += e }
                for j in 0..<len { y.data[base + j * inner] /= s }
            }
        }
        return y
    }

    static func softmaxBackward(_ y: Tensor, dy: Tensor, axis a: Int) -> Tensor {
        let ax = axis(a, rank: y.rank)
        let inner = y.shape[(ax + 1)...].reduce(1, *), len = y.shape[ax]
        let outer = y.count / (inner * len)
        var dx = dy
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var dot: Float = 0
                for j in 0..<len { dot += y.data[base + j * inner] * dy.data[base + j * inner] }
                for j in 0..<len { let k = base + j * inner; dx.data[k] = y.data[k] * (dy.data[k] - dot) }
            }
        }
        return dx
    }

    /// log softmax = x - max - log(sum exp(x - max)) along `axis`.
    static func logSoftmax(_ x: Tensor, axis a: Int) -> Tensor {
        let ax = axis(a, rank: x.rank)
        let inner = x.shape[(ax + 1)...].reduce(1, *), len = x.shape[ax]
        let outer = x.count / (inner * len)
        var y = x
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var m = -Float.infinity
                for j in 0..<len { m = max(m, x.data[base + j * inner]) }
                var s: Float = 0
                for j in 0..<len { s += exp(x.data[base + j * inner] - m) }
                let l = m + log(s)
                for j in 0..<len { y.data[base + j * inner] = x.data[base + j * inner] - l }
            }
        }
        return y
    }

    /// dx = dy - softmax(x) * sum(dy), with softmax(x) = exp(y).
    static func logSoftmaxBackward(_ y: Tensor, dy: Tensor, axis a: Int) -> Tensor {
        let ax = axis(a, rank: y.rank)
        let inner = y.shape[(ax + 1)...].reduce(1, *), len = y.shape[ax]
        let outer = y.count / (inner * len)
        var dx = dy
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var s: Float = 0
                for j in 0..<len { s += dy.data[base + j * inner] }
                for j in 0..<len { let k = base + j * inner; dx.data[k] = dy.data[k] - exp(y.data[k]) * s }
            }
        }
        return dx
    }

    /// Output shape of edge/reflect padding and, per output element, the flat input index it copies.
    static func borderIndex(_ s: [Int], pads: [Int], reflect: Bool) throws -> ([Int], [Int]) {
        let r = s.count
        guard pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }), pads[0] == 0, pads[r] == 0, s.allSatisfy({ $0 > 0 }) else {
            throw EngineError("Pad: pads \(pads) are not supported for \(s) (non-negative, none on the batch axis)")
        }
        if reflect {
            for d in 0..<r where pads[d] >= s[d] || pads[d + r] >= s[d] {
                throw EngineError("Pad: reflect pads \(pads) must be smaller than \(s)")
            }
        }
        let out = (0..<r).map { s[$0] + pads[$0] + pads[r + $0] }
        let inStrides = Tensor.strides(of: s)
        let total = out.reduce(1, *)
        var idx = [Int](repeating: 0, count: total)
        var coord = [Int](repeating: 0, count: r)
        for o in 0..<total {
            var off = 0
            for d in 0..<r {
                var i = coord[d] - pads[d]
                if reflect {
                    if i < 0 { i = -i }
                    if i >= s[d] { i = 2 * (s[d] - 1) - i }
                } else {
                    i = min(max(i, 0), s[d] - 1)
                }
                off += i * inStrides[d]
            }
            idx[o] = off
            var d = r - 1
            while d >= 0 { coord[d] += 1; if coord[d] < out[d] { break }; coord[d] = 0; d -= 1 }
        }
        return (out, idx)
    }
}
