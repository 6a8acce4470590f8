import CDNNL
import Foundation
import IGEngine

/// The reference backward of `node` on plain tensors (for ops whose
/// backward oneDNN does not do, or not in this case).
func referenceBackward(_ node: Node, _ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
    let xs = try node.inputs.map { try ctx.tensor($0) }
    let y = try ctx.tensor(node.output)
    let d = try toTensor(dy, ctx.stream)
    return try DMem.from(ReferenceOps.backward(node.op, xs, y: y, dy: d, wrt: wrt))
}

/// ReLU, leaky ReLU, Clip, Sigmoid, HardSwish in the input's own layout.
final class EltwiseStep: Step {
    let node: Node
    let alg: dnnl_alg_kind_t, alpha: Float, beta: Float
    let md: MD
    let fwd: Prim
    /// The backward reads the output ("use dst" algs) rather than the input.
    let usesDst: Bool
    private let lock = NSLock()
    private var bwd: Prim?
    var backwardReadsInputs: Bool { !usesDst }
    var backwardReadsOutput: Bool { usesDst }

    init(_ node: Node, _ op: UnaryOp, x: DMem, training: Bool) throws {
        guard var e = eltwiseAlg(op) else { throw NotNative("not a oneDNN eltwise op") }
        // On the backward path, algs that can differentiate from their output
        // use it, so the input need not be kept.
        var dst = false
        if training {
            if e.alg == dnnl_eltwise_relu && e.alpha >= 0 { e.alg = dnnl_eltwise_relu_use_dst_for_bwd; dst = true }
            else if e.alg == dnnl_eltwise_clip_v2 { e.alg = dnnl_eltwise_clip_v2_use_dst_for_bwd; dst = true }
            else if e.alg == dnnl_eltwise_logistic { e.alg = dnnl_eltwise_logistic_use_dst_for_bwd; dst = true }
        }
        usesDst = dst
        self.node = node; alg = e.alg; alpha = e.alpha; beta = e.beta; md = x.md
        var d = dnnl_eltwise_desc_t(), m = md
        try check(dnnl_eltwise_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, alg, &m, alpha, beta),
                  "eltwise descriptor")
        fwd = try Prim(d, "eltwise")
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: md, ctx.stream)
        let y = try DMem(md)
        try fwd.execute(ctx.stream, [(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)], "eltwise")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        let p: Prim = try {
            lock.lock()
            defer { lock.unlock() }
            if let bwd { return bwd }
            var d = dnnl_eltwise_desc_t(), m = md, dm = md
            try check(dnnl_eltwise_backward_desc_init(&d, alg, &dm, &m, alpha, beta), "eltwise backward descriptor")
            let p = try Prim(d, hint: fwd, "eltwise backward")
            bwd = p
            return p
        }()
        let data = try convert(try ctx.value(usesDst ? node.output : node.inputs[0]), to: md, ctx.stream)
        let d = try convert(dy, to: md, ctx.stream)
        let dx = try DMem(md)
        try p.execute(ctx.stream, [(usesDst ? DNNL_ARG_DST : DNNL_ARG_SRC, data), (DNNL_ARG_DIFF_DST, d), (DNNL_ARG_DIFF_SRC, dx)],
                      "eltwise backward")
        return dx
    }
}

/// Max / average pooling (ceil_mode as extra right padding, dilation) and
/// global average pooling, in the input's layout. Pools on the backward
/// path run in training mode so max pooling keeps its workspace.
final class PoolStep: Step {
    let node: Node
    let alg: dnnl_alg_kind_t
    let fwd: Prim
    let srcMD: MD, dstMD: MD
    let training: Bool
    var backwardReadsInputs: Bool { !training }
    var backwardReadsOutput: Bool { !training }
    let strides: [Int64], kernel: [Int64], dilation: [Int64], pl: [Int64], pr: [Int64]
    private let lock = NSLock()
    private var bwd: Prim?

    /// Output size as the reference computes it (PyTorch/ONNX ceil rule).
    static func outputSize(_ input: Int, k: Int, s: Int, padBegin: Int, padEnd: Int, d: Int, ceil: Bool) -> Int {
        let span = input + padBegin + padEnd - d * (k - 1) - 1
        var o = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil && (o - 1) * s >= input + padBegin { o -= 1 }
        return o
    }

    /// Which pooling: global average, or a window (max or average).
    enum Kind {
        case globalAverage
        case window(PoolAttributes, isMax: Bool)
    }

    init(_ node: Node, _ pooling: Kind, x: DMem, training: Bool) throws {
        self.node = node
        let xs = x.dims
        guard xs.count == 4 else { throw NotNative("expected a 4-D input, got \(xs)") }
        var out = [xs[0], xs[1], 1, 1]
        switch pooling {
        case .globalAverage:
            alg = dnnl_pooling_avg_exclude_padding
            kernel = [Int64(xs[2]), Int64(xs[3])]; strides = [1, 1]; dilation = [0, 0]; pl = [0, 0]; pr = [0, 0]
        case .window(let a, let isMax):
            if !isMax && a.dilations != [1, 1] { throw NotNative("dilated average pooling is left to the reference") }
            var right = [Int64]()
            for ax in 0..<2 {
                let h = xs[2 + ax], k = a.kernel[ax], s = a.strides[ax], d = a.dilations[ax]
                let pb = a.pads[ax], pe = a.pads[2 + ax]
                let o = PoolStep.outputSize(h, k: k, s: s, padBegin: pb, padEnd: pe, d: d, ceil: a.ceilMode)
                guard o > 0 else { throw NotNative("empty output") }
                out[2 + ax] = o
                let dk = d * (k - 1) + 1
                let floorOut = (h + pb + pe - dk) / s + 1
                let r = floorOut == o ? pe : (o - 1) * s + dk - h - pb
                guard r >= 0 else { throw NotNative("negative padding") }
                // The reference divides by the window clipped to the declared padding.
                if !isMax && a.countIncludePad && r > pe { throw NotNative("count_include_pad with ceil_mode overhang") }
                right.append(Int64(r))
            }
            alg = isMax ? dnnl_pooling_max : (a.countIncludePad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding)
            kernel = a.kernel.map(Int64.init); strides = a.strides.map(Int64.init)
            dilation = a.dilations.map { Int64($0 - 1) }
            pl = [Int64(a.pads[0]), Int64(a.pads[1])]; pr = right
        }
        self.training = training
        var src = x.md, dst = try anyMD(out)
        var d = dnnl_pooling_v2_desc_t()
        try check(dnnl_pooling_v2_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, alg,
                                                    &src, &dst, strides, kernel, dilation, pl, pr), "pooling descriptor")
        fwd = try Prim(d, "pooling")
        srcMD = fwd.md(dnnl_query_src_md)
        dstMD = fwd.md(dnnl_query_dst_md)
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: srcMD, ctx.stream)
        let y = try DMem(dstMD)
        var args: [(Int32, DMem)] = [(DNNL_ARG_SRC, x), (DNNL_ARG_DST, y)]
        if training && alg == dnnl_pooling_max {
            let ws = try DMem(fwd.md(dnnl_query_workspace_md))
            args.append((DNNL_ARG_WORKSPACE, ws))
            ctx.workspaces[node.output] = ws
        }
        try fwd.execute(ctx.stream, args, "pooling")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        guard training else { return try referenceBackward(node, ctx, dy: dy, wrt: wrt) }
        let p: Prim = try {
            lock.lock()
            defer { lock.unlock() }
            if let bwd { return bwd }
            var d = dnnl_pooling_v2_desc_t(), ds = srcMD, dd = dstMD
            try check(dnnl_pooling_v2_backward_desc_init(&d, alg, &ds, &dd, strides, kernel, dilation, pl, pr),
                      "pooling backward descriptor")
            let p = try Prim(d, hint: fwd, "pooling backward")
            bwd = p
            return p
        }()
        let d = try convert(dy, to: p.md(dnnl_query_diff_dst_md), ctx.stream)
        let dx = try DMem(p.md(dnnl_query_diff_src_md))
        var args: [(Int32, DMem)] = [(DNNL_ARG_DIFF_DST, d), (DNNL_ARG_DIFF_SRC, dx)]
        if alg == dnnl_pooling_max {
            guard let ws = ctx.workspaces[node.output] else { throw EngineError("max-pooling workspace missing") }
            args.append((DNNL_ARG_WORKSPACE, ws))
        }
        try p.execute(ctx.stream, args, "pooling backward")
        return dx
    }
}
