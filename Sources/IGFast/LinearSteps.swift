import CDNNL
import Foundation
import IGEngine

/// Gemm with a constant B as a oneDNN inner product: W = alpha * op(B)^T,
/// bias = beta * C (a per-output vector), fused ReLU/Clip post-op.
final class InnerProductStep: Step {
    let node: Node
    let attrs: GemmAttributes
    let fwd: Prim
    let srcMD: MD, dstMD: MD
    let weights: DMem
    let bias: DMem?
    private let lock = NSLock()
    private let activationBackward: FusedActivationBackward
    private var bwd: (Prim, DMem)?
    private let plainWeights: () throws -> DMem
    private let cache: WeightCache
    /// Largest batch run with plain weights and the row-sparse backward.
    static let plainBatchLimit = 2
    /// Weights are plain [out, in] and the backward is `RowSparse.backwardData`.
    let sparseBackward: Bool
    var backwardReadsInputs: Bool { false }
    var backwardReadsOutput: Bool { attrs.activation != .none }

    init(_ node: Node, _ a: GemmAttributes, x: DMem, graph: Graph, cache: WeightCache, stream: Stream, training: Bool) throws {
        self.node = node; attrs = a; activationBackward = FusedActivationBackward(a.activation); self.cache = cache
        let xs = x.dims
        guard !a.transA, xs.count == 2, node.inputs.count >= 2, let b = graph.constants[node.inputs[1]], b.rank == 2 else {
            throw NotNative("only A[M,K] x constant B is native")
        }
        let k = xs[1]
        let nOut = a.transB ? b.shape[0] : b.shape[1]
        guard (a.transB ? b.shape[1] : b.shape[0]) == k else { throw NotNative("inner sizes differ") }
        var biasT: Tensor?
        if node.inputs.count > 2, a.beta != 0 {
            guard let c = graph.constants[node.inputs[2]], c.count == nOut, c.rank == 1 || (c.rank == 2 && c.shape[0] == 1) else {
                throw NotNative("only a per-output bias vector is native")
            }
            biasT = Tensor(shape: [nOut], data: c.data.map { $0 * a.beta })
        }
        plainWeights = {
            let m = try DMem(plainMD([nOut, k]))
            let p = m.floats
            if a.transB {
                for i in 0..<(nOut * k) { p[i] = b.data[i] * a.alpha }
            } else {
                for o in 0..<nOut { for j in 0..<k { p[o * k + j] = b.data[j * nOut + o] * a.alpha } }
            }
            return m
        }
        // At batch 1-2 the layer is a matrix-vector product, bound by reading the weights: plain
        // rows [out, in] read as fast as oneDNN's blocked layout there (VGG16 fc6: 16.9 vs 19.2 ms)
        // and let the backward skip the rows whose output gradient is zero (see `backward`).
        // From batch ~10 the blocked layout is 2x faster.
        sparseBackward = xs[0] <= InnerProductStep.plainBatchLimit
        var src = x.md, w = sparseBackward ? try plainMD([nOut, k]) : try anyMD([nOut, k]), dst = try anyMD([xs[0], nOut])
        let bmd = try plainMD([nOut])
        var d = dnnl_inner_product_desc_t()
        try withOptionalMD(bmd, biasT != nil) { bp in
            try check(dnnl_inner_product_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference,
                                                           &src, &w, bp, &dst), "inner product descriptor")
        }
        let attr = try Attr(postEltwise: fusedActivation(a.activation).map { ($0.alg, $0.alpha, $0.beta) })
        fwd = try Prim(d, attr: attr.attr, "inner product")
        srcMD = fwd.md(dnnl_query_src_md)
        dstMD = fwd.md(dnnl_query_dst_md)
        weights = try cache.get("\(node.name)|ip", fwd.md(dnnl_query_weights_md), stream, plainWeights)
        bias = try biasT.map { try DMem.from($0) }
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: srcMD, ctx.stream)
        let y = try DMem(dstMD)
        var args: [(Int32, DMem)] = [(DNNL_ARG_SRC, x), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, y)]
        if let bias { args.append((DNNL_ARG_BIAS, bias)) }
        try fwd.execute(ctx.stream, args, "inner product")
        ctx.values[node.output] = y
    }

    private func backwardPrimitive(_ stream: Stream) throws -> (Prim, DMem) {
        lock.lock()
        defer { lock.unlock() }
        if let bwd { return bwd }
        // Prefer the forward's weight layout so no second copy is kept.
        var ds = srcMD, dd = dstMD, w = weights.md
        var d = dnnl_inner_product_desc_t()
        try check(dnnl_inner_product_backward_data_desc_init(&d, &ds, &w, &dd), "inner product backward descriptor")
        var result: (Prim, DMem)
        if let p = try? Prim(d, hint: fwd, "inner product backward-data") {
            result = (p, weights)
        } else {
            var wa = try anyMD(dimsOf(weights.md))
            var d2 = dnnl_inner_product_desc_t()
            try check(dnnl_inner_product_backward_data_desc_init(&d2, &ds, &wa, &dd), "inner product backward descriptor")
            let p = try Prim(d2, hint: fwd, "inner product backward-data")
            result = (p, try cache.get("\(node.name)|ip-bwd", p.md(dnnl_query_weights_md), stream, plainWeights))
        }
        bwd = result
        return result
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        guard wrt == 0 else { throw EngineError("no gradient with respect to input \(wrt)") }
        var d = dy
        if attrs.activation != .none {
            d = try activationBackward.run(y: try ctx.value(node.output), dy: dy, ctx.stream)
        }
        if sparseBackward {
            let dd = try convert(d, to: plainMD(dimsOf(dstMD)), ctx.stream)
            let dx = try DMem(plainMD(dimsOf(srcMD)))
            RowSparse.backwardData(dy: dd.floats, weights: weights.floats, dx: dx.floats,
                                   batch: dimsOf(dstMD)[0], outputs: dimsOf(dstMD)[1], inputs: dimsOf(srcMD)[1],
                                   threads: Int(omp_get_max_threads()))
            return dx
        }
        let (p, w) = try backwardPrimitive(ctx.stream)
        let dd = try convert(d, to: p.md(dnnl_query_diff_dst_md), ctx.stream)
        let dx = try DMem(p.md(dnnl_query_diff_src_md))
        try p.execute(ctx.stream, [(DNNL_ARG_DIFF_DST, dd), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, dx)], "inner product backward-data")
        return dx
    }
}

/// dx = dy W for a linear layer with plain weights W [outputs, inputs] and a
/// small batch, reading only the rows of W whose output gradient is non-zero.
/// Behind a ReLU about half of them are zero (the gradient through a unit
/// that was off), so this reads about half of the weights where a dense
/// product reads them all: that read is the whole cost of the backward
/// through a large classifier such as VGG16's (103 M weights in fc6).
enum RowSparse {
    /// The buffers the workers share. `@unchecked Sendable` is safe here:
    /// `concurrentPerform` returns only after every worker is done, so the
    /// buffers outlive them; the workers only read `dy` and `weights`, and
    /// each writes only its own columns `lo..<hi` of `dx` (disjoint slices).
    private struct Buffers: @unchecked Sendable {
        let dy: UnsafePointer<Float>
        let weights: UnsafePointer<Float>
        let dx: UnsafeMutablePointer<Float>
    }

    static func backwardData(dy: UnsafePointer<Float>, weights: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                             batch: Int, outputs: Int, inputs: Int, threads: Int) {
        dx.update(repeating: 0, count: batch * inputs)
        // Columns split across threads: each owns a slice of dx and streams its part of the rows.
        let parts = max(1, min(threads, inputs / 1024))
        let chunk = (inputs + parts - 1) / parts
        // Per item, the rows with a non-zero gradient (the same for every thread).
        let liveRows = (0..<batch).map { n in (0..<outputs).filter { dy[n * outputs + $0] != 0 } }
        let buffers = Buffers(dy: dy, weights: weights, dx: dx)
        DispatchQueue.concurrentPerform(iterations: parts) { t in
            let (dy, weights, dx) = (buffers.dy, buffers.weights, buffers.dx)
            let lo = t * chunk, hi = min(inputs, lo + chunk)
            guard lo < hi else { return }
            for n in 0..<batch {
                let g = dy + n * outputs
                let live = liveRows[n]
                let y = dx + n * inputs
                // Four rows per sweep over the slice: dx is loaded and stored once per four rows.
                var r = 0
                while r + 4 <= live.count {
                    let (o0, o1, o2, o3) = (live[r], live[r + 1], live[r + 2], live[r + 3])
                    let (g0, g1, g2, g3) = (g[o0], g[o1], g[o2], g[o3])
                    let (w0, w1, w2, w3) = (weights + o0 * inputs, weights + o1 * inputs, weights + o2 * inputs, weights + o3 * inputs)
                    for i in lo..<hi { y[i] += g0 * w0[i] + g1 * w1[i] + g2 * w2[i] + g3 * w3[i] }
                    r += 4
                }
                for o in live[r...] {
                    let w = weights + o * inputs
                    for i in lo..<hi { y[i] += g[o] * w[i] }
                }
            }
        }
    }
}

/// Concat of activations along one axis (backward: the reference's slices).
final class ConcatStep: Step {
    let node: Node
    let prim: Prim
    let srcMDs: [MD]
    let dstMD: MD
    var backwardReadsInputs: Bool { true }
    var backwardReadsOutput: Bool { true }

    init(_ node: Node, axis: Int, ctx: RunContext) throws {
        self.node = node
        let xs = try node.inputs.map { name -> DMem in
            guard let v = ctx.values[name] else { throw NotNative("constant operands are left to the reference") }
            return v
        }
        let rank = xs[0].dims.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 1, ax < rank else { throw NotNative("bad axis") }
        var out = xs[0].dims
        out[ax] = xs.reduce(0) { $0 + $1.dims[ax] }
        srcMDs = xs.map(\.md)
        var dst = try anyMD(out)
        var pd: OpaquePointer?
        let attr = try Attr(postEltwise: nil)
        try srcMDs.withUnsafeBufferPointer { p in
            try check(dnnl_concat_primitive_desc_create(&pd, &dst, Int32(xs.count), Int32(ax), p.baseAddress, attr.attr,
                                                        try DNNLContext.shared.cpu()), "concat descriptor")
        }
        guard let pd else { throw EngineError("oneDNN returned no concat descriptor") }
        prim = try Prim(pd: pd, "concat")
        dstMD = prim.md(dnnl_query_dst_md)
    }

    func forward(_ ctx: RunContext) throws {
        var args: [(Int32, DMem)] = []
        for (i, name) in node.inputs.enumerated() {
            args.append((DNNL_ARG_MULTIPLE_SRC + Int32(i), try convert(try ctx.value(name), to: srcMDs[i], ctx.stream)))
        }
        let y = try DMem(dstMD)
        args.append((DNNL_ARG_DST, y))
        try prim.execute(ctx.stream, args, "concat")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        try referenceBackward(node, ctx, dy: dy, wrt: wrt)
    }
}

/// Softmax along one axis, forward and backward (from its output).
final class SoftmaxStep: Step {
    let node: Node
    let fwd: Prim
    let md: MD
    let axis: Int32
    var backwardReadsInputs: Bool { false }
    var backwardReadsOutput: Bool { true }
    private let lock = NSLock()
    private var bwd: Prim?

    init(_ node: Node, axis: Int, x: DMem) throws {
        self.node = node
        let rank = x.dims.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else { throw NotNative("bad axis") }
        self.axis = Int32(ax)
        md = try plainMD(x.dims)
        var m = md
        var d = dnnl_softmax_desc_t()
        try check(dnnl_softmax_forward_desc_init(&d, dnnl_forward_training, &m, Int32(ax)), "softmax descriptor")
        fwd = try Prim(d, "softmax")
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: md, ctx.stream)
        let y = try DMem(md)
        try fwd.execute(ctx.stream, [(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)], "softmax")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        let p: Prim = try {
            lock.lock()
            defer { lock.unlock() }
            if let bwd { return bwd }
            var m = md, dm = md
            var d = dnnl_softmax_desc_t()
            try check(dnnl_softmax_backward_desc_init(&d, &dm, &m, axis), "softmax backward descriptor")
            let p = try Prim(d, hint: fwd, "softmax backward")
            bwd = p
            return p
        }()
        let y = try convert(try ctx.value(node.output), to: md, ctx.stream)
        let d = try convert(dy, to: md, ctx.stream)
        let dx = try DMem(md)
        try p.execute(ctx.stream, [(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, d), (DNNL_ARG_DIFF_SRC, dx)], "softmax backward")
        return dx
    }
}

/// MatMul of an activation A [..., M, K] by a constant B [K, N] (or with the
/// same leading dims) as a oneDNN matmul on plain layouts; backward to A is
/// another matmul, dY x B^T, with B^T prepared once.
final class MatMulStep: Step {
    let node: Node
    let fwd: Prim, bwd: Prim
    let aMD: MD, yMD: MD
    let b: DMem, bT: DMem
    var backwardReadsInputs: Bool { false }
    var backwardReadsOutput: Bool { false }

    init(_ node: Node, x: DMem, graph: Graph) throws {
        self.node = node
        guard node.inputs.count == 2, let bt = graph.constants[node.inputs[1]] else { throw NotNative("B is not a constant") }
        let a = x.dims, r = a.count
        guard r >= 2, r <= 4, bt.rank >= 2, bt.rank <= r else { throw NotNative("unsupported ranks") }
        let k = a[r - 1], n = bt.shape[bt.rank - 1]
        guard bt.shape[bt.rank - 2] == k else { throw NotNative("inner sizes differ") }
        let bDims = [Int](repeating: 1, count: r - bt.rank) + bt.shape
        let batchB = bDims.dropLast(2).reduce(1, *)
        guard batchB == 1 || Array(bDims.dropLast(2)) == Array(a.dropLast(2)) else { throw NotNative("batch shapes differ") }
        var tDims = bDims
        tDims[r - 2] = n; tDims[r - 1] = k
        var tData = [Float](repeating: 0, count: bt.count)
        for s in 0..<batchB { for i in 0..<k { for j in 0..<n { tData[s * k * n + j * k + i] = bt.data[s * k * n + i * n + j] } } }
        b = try DMem.from(bt.reshaped(bDims))
        bT = try DMem.from(Tensor(shape: tDims, data: tData))
        aMD = try plainMD(a)
        yMD = try plainMD(Array(a.dropLast()) + [n])
        var am = aMD, bm = b.md, ym = yMD
        var d = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&d, &am, &bm, nil, &ym), "matmul descriptor")
        fwd = try Prim(d, "matmul")
        var dym = yMD, btm = bT.md, dam = aMD
        var bd = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&bd, &dym, &btm, nil, &dam), "matmul descriptor")
        bwd = try Prim(bd, "matmul (backward)")
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: aMD, ctx.stream)
        let y = try DMem(yMD)
        try fwd.execute(ctx.stream, [(DNNL_ARG_SRC, x), (DNNL_ARG_WEIGHTS, b), (DNNL_ARG_DST, y)], "matmul")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        guard wrt == 0 else { throw EngineError("no gradient with respect to the constant B") }
        let d = try convert(dy, to: yMD, ctx.stream)
        let dx = try DMem(aMD)
        try bwd.execute(ctx.stream, [(DNNL_ARG_SRC, d), (DNNL_ARG_WEIGHTS, bT), (DNNL_ARG_DST, dx)], "matmul backward")
        return dx
    }
}
