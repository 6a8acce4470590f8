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
    private var bwd: (Prim, DMem)?
    private let plainWeights: () throws -> DMem
    private let cache: WeightCache

    init(_ node: Node, _ a: GemmAttributes, x: DMem, graph: Graph, cache: WeightCache, stream: Stream, training: Bool) throws {
        self.node = node; attrs = a; self.cache = cache
        let xs = x.dims
        guard !a.transA, xs.count == 2, node.inputs.count >= 2, let b = graph.constants[node.inputs[1]], b.rank == 2 else {
            throw EngineError("only A[M,K] x constant B is native")
        }
        let k = xs[1]
        let nOut = a.transB ? b.shape[0] : b.shape[1]
        guard (a.transB ? b.shape[1] : b.shape[0]) == k else { throw EngineError("inner sizes differ") }
        var biasT: Tensor?
        if node.inputs.count > 2, a.beta != 0 {
            guard let c = graph.constants[node.inputs[2]], c.count == nOut, c.rank == 1 || (c.rank == 2 && c.shape[0] == 1) else {
                throw EngineError("only a per-output bias vector is native")
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
        var src = x.md, w = try anyMD([nOut, k]), dst = try anyMD([xs[0], nOut])
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
            d = try fusedActivationBackward(attrs.activation, y: try ctx.value(node.output), dy: dy, ctx.stream)
        }
        let (p, w) = try backwardPrimitive(ctx.stream)
        let dd = try convert(d, to: p.md(dnnl_query_diff_dst_md), ctx.stream)
        let dx = try DMem(p.md(dnnl_query_diff_src_md))
        try p.execute(ctx.stream, [(DNNL_ARG_DIFF_DST, dd), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, dx)], "inner product backward-data")
        return dx
    }
}

/// Concat of activations along one axis (backward: the reference's slices).
final class ConcatStep: Step {
    let node: Node
    let prim: Prim
    let srcMDs: [MD]
    let dstMD: MD

    init(_ node: Node, axis: Int, ctx: RunContext) throws {
        self.node = node
        let xs = try node.inputs.map { name -> DMem in
            guard let v = ctx.values[name] else { throw EngineError("constant operands are left to the reference") }
            return v
        }
        let rank = xs[0].dims.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 1, ax < rank else { throw EngineError("bad axis") }
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
    private let lock = NSLock()
    private var bwd: Prim?

    init(_ node: Node, axis: Int, x: DMem) throws {
        self.node = node
        let rank = x.dims.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank else { throw EngineError("bad axis") }
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
