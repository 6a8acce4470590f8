import CDNNL
import Foundation
import IGEngine

/// Which forward algorithm a convolution asks oneDNN for.
///
/// Winograd F(4x4, 3x3) (oneDNN's `jit_wino_4x3`) does a 3x3, stride-1 convolution with
/// about 2.25x fewer multiplications than the direct method: VGG16's forward runs about
/// twice as fast (docs/PERFORMANCE.md). Its float32 results differ from the direct
/// method's by rounding (relative 1e-6 to 1e-5 per layer, measured against PyTorch in
/// the parity tests). `IGCAM_CONV=direct` turns it off.
enum ConvAlgorithm {
    static let winogradEnabled = ProcessInfo.processInfo.environment["IGCAM_CONV"] != "direct"

    /// Whether to try Winograd for these attributes and kernel (h, w).
    static func tryWinograd(_ a: ConvAttributes, kernel: [Int]) -> Bool {
        winogradEnabled && kernel == [3, 3] && a.strides == [1, 1] && a.dilations == [1, 1] && a.group == 1
    }
}

/// Convolution (groups, depthwise, stride, padding, dilation) with bias, a
/// fused residual Add (oneDNN's sum post-op: the output buffer starts as the
/// residual) and a fused ReLU/Clip post-op. All layouts are `any`: oneDNN picks its blocked
/// formats; weights are reordered once into the preferred layout and kept.
final class ConvStep: Step {
    let node: Node
    let attrs: ConvAttributes
    let fwd: Prim
    let weights: DMem
    let bias: DMem?
    let srcMD: MD, dstMD: MD
    let xShape: [Int], wShape: [Int]
    let cache: WeightCache
    var backwardReadsInputs: Bool { false }
    var backwardReadsOutput: Bool { attrs.activation != .none }
    private let lock = NSLock()
    private let activationBackward: FusedActivationBackward
    private var bwdPrim: Prim?
    private var bwdWeights: DMem?
    /// A residual Add fused in: the node's last input (see `FusedGraph`).
    let residual: Bool
    /// The residual's buffer may become the output (its value dies here).
    let residualInPlace: Bool

    init(_ node: Node, _ a: ConvAttributes, x: DMem, graph: Graph, cache: WeightCache, stream: Stream,
         residual: Bool = false, residualInPlace: Bool = false) throws {
        guard node.inputs.count >= 2, let w = graph.constants[node.inputs[1]] else {
            throw NotNative("weights are not a constant")
        }
        let hasBias = node.inputs.count - (residual ? 1 : 0) > 2
        let b = hasBias ? graph.constants[node.inputs[2]] : nil
        if hasBias && b == nil { throw NotNative("bias is not a constant") }
        if residual, graph.constants[node.inputs[node.inputs.count - 1]] != nil { throw NotNative("constant residual") }
        let xs = x.dims
        guard xs.count == 4, w.rank == 4, a.group >= 1, xs[1] % a.group == 0, w.shape[0] % a.group == 0,
              w.shape[1] * a.group == xs[1] else {
            throw NotNative("shapes \(xs) and \(w.shape) do not match group \(a.group)")
        }
        let oh = (xs[2] + a.pads[0] + a.pads[2] - a.dilations[0] * (w.shape[2] - 1) - 1) / a.strides[0] + 1
        let ow = (xs[3] + a.pads[1] + a.pads[3] - a.dilations[1] * (w.shape[3] - 1) - 1) / a.strides[1] + 1
        guard oh > 0, ow > 0 else { throw NotNative("empty output") }
        self.node = node; self.attrs = a; self.residual = residual; self.residualInPlace = residualInPlace; activationBackward = FusedActivationBackward(a.activation); self.xShape = xs; self.wShape = w.shape; self.cache = cache
        let g = a.group
        let wDims = g == 1 ? w.shape : [g, w.shape[0] / g, w.shape[1], w.shape[2], w.shape[3]]
        var src = try anyMD(xs), wmd = try anyMD(wDims), dst = try anyMD([xs[0], w.shape[0], oh, ow])
        let bmd = try b.map { try plainMD([$0.count]) } ?? MD()
        let strides = a.strides.map(Int64.init), dil = a.dilations.map { Int64($0 - 1) }
        let pl = [Int64(a.pads[0]), Int64(a.pads[1])], pr = [Int64(a.pads[2]), Int64(a.pads[3])]
        let post = fusedActivation(a.activation).map { ($0.alg, $0.alpha, $0.beta) }
        let attr = try Attr(postSum: residual, postEltwise: post)
        func primitive(_ alg: dnnl_alg_kind_t) throws -> Prim {
            var desc = dnnl_convolution_desc_t()
            try withOptionalMD(bmd, b != nil) { bp in
                try check(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, alg,
                                                                      &src, &wmd, bp, &dst, strides, dil, pl, pr),
                          "convolution descriptor")
            }
            return try Prim(desc, attr: attr.attr, "convolution")
        }
        // Winograd where oneDNN has it (3x3, stride 1), else direct.
        let winograd = ConvAlgorithm.tryWinograd(a, kernel: Array(w.shape[2...])) ? try? primitive(dnnl_convolution_winograd) : nil
        fwd = try winograd ?? primitive(dnnl_convolution_direct)
        srcMD = fwd.md(dnnl_query_src_md)
        dstMD = fwd.md(dnnl_query_dst_md)
        let wantW = fwd.md(dnnl_query_weights_md)
        let plainW = try plainMD(wDims)
        weights = try cache.get("\(node.name)|conv-fwd", wantW, stream) {
            let m = try DMem(plainW)
            w.data.withUnsafeBufferPointer { m.floats.update(from: $0.baseAddress!, count: w.count) }
            return m
        }
        bias = try b.map { try DMem.from($0) }
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: srcMD, ctx.stream)
        let y = residual ? try residualOutput(ctx) : try DMem(dstMD)
        var args: [(Int32, DMem)] = [(DNNL_ARG_SRC, x), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, y)]
        if let bias { args.append((DNNL_ARG_BIAS, bias)) }
        try fwd.execute(ctx.stream, args, "convolution")
        ctx.values[node.output] = y
    }

    /// The output buffer holding the residual, which the sum post-op adds to:
    /// the residual's own buffer when its value dies here and nothing else
    /// holds it, else a copy in the output's layout.
    private func residualOutput(_ ctx: RunContext) throws -> DMem {
        let name = node.inputs[node.inputs.count - 1]
        guard dimsOf(dstMD) == (try ctx.value(name)).dims else {
            throw EngineError("residual '\(name)' has shape \(try ctx.value(name).dims), the output \(dimsOf(dstMD))")
        }
        if residualInPlace, var r = ctx.values.removeValue(forKey: name) {
            if mdEqual(r.md, dstMD), isKnownUniquelyReferenced(&r) { return r }
            ctx.values[name] = r
        }
        let r = try ctx.value(name)
        if !mdEqual(r.md, dstMD) { return try convert(r, to: dstMD, ctx.stream) }
        let y = try DMem(dstMD)
        y.floats.update(from: r.floats, count: y.floatCount)
        return y
    }

    private func backwardPrimitive(_ stream: Stream, _ graph: Graph) throws -> (Prim, DMem) {
        lock.lock()
        defer { lock.unlock() }
        if let p = bwdPrim, let w = bwdWeights { return (p, w) }
        let a = attrs, g = a.group
        let wDims = g == 1 ? wShape : [g, wShape[0] / g, wShape[1], wShape[2], wShape[3]]
        let strides = a.strides.map(Int64.init), dil = a.dilations.map { Int64($0 - 1) }
        let pl = [Int64(a.pads[0]), Int64(a.pads[1])], pr = [Int64(a.pads[2]), Int64(a.pads[3])]
        func descriptor(_ src: MD, _ dst: MD) throws -> dnnl_convolution_desc_t {
            var dsrc = src, wmd = try anyMD(wDims), ddst = dst
            var desc = dnnl_convolution_desc_t()
            try check(dnnl_dilated_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &dsrc, &wmd, &ddst,
                                                                       strides, dil, pl, pr), "convolution backward-data descriptor")
            return desc
        }
        // The hint must be a training-mode forward descriptor.
        var fsrc = try anyMD(xShape), fw = try anyMD(wDims), fdst = try anyMD(dimsOf(dstMD))
        var fdesc = dnnl_convolution_desc_t()
        try check(dnnl_dilated_convolution_forward_desc_init(&fdesc, dnnl_forward_training, dnnl_convolution_direct,
                                                              &fsrc, &fw, nil, &fdst, strides, dil, pl, pr), "convolution descriptor")
        let hint = try Prim(fdesc, "convolution (training)")
        // Gradients in the forward's activation layout avoid reorders between
        // backward steps; if oneDNN has no such kernel, let it choose.
        let p = try (try? Prim(descriptor(srcMD, dstMD), hint: hint, "convolution backward-data"))
            ?? Prim(descriptor(anyMD(xShape), anyMD(dimsOf(dstMD))), hint: hint, "convolution backward-data")
        let want = p.md(dnnl_query_weights_md)
        let w = try graph.constants[node.inputs[1]].map { t in
            try cache.get("\(node.name)|conv-bwd", want, stream) {
                let m = try DMem(plainMD(wDims))
                t.data.withUnsafeBufferPointer { m.floats.update(from: $0.baseAddress!, count: t.count) }
                return m
            }
        }
        guard let w else { throw EngineError("weights are not a constant") }
        bwdPrim = p; bwdWeights = w
        return (p, w)
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        var d = dy
        if attrs.activation != .none {
            d = try activationBackward.run(y: try ctx.value(node.output), dy: dy, ctx.stream)
        }
        if residual && wrt == node.inputs.count - 1 { return d }   // the fused residual: passed through
        guard wrt == 0 else { throw EngineError("no gradient with respect to input \(wrt)") }
        let (p, w) = try backwardPrimitive(ctx.stream, ctx.graph)
        let dd = try convert(d, to: p.md(dnnl_query_diff_dst_md), ctx.stream)
        let dx = try DMem(p.md(dnnl_query_diff_src_md))
        try p.execute(ctx.stream, [(DNNL_ARG_DIFF_DST, dd), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, dx)], "convolution backward-data")
        return dx
    }
}
