import CDNNL
import Foundation
import IGEngine

/// State of one call (forward, gradient or head): the stream and the live
/// tensors, each a oneDNN memory in whatever layout its producer chose.
final class RunContext {
    let stream: Stream
    let graph: Graph
    var values: [String: DMem] = [:]
    /// Max-pooling workspaces of training-mode pools, by output name.
    var workspaces: [String: DMem] = [:]

    init(stream: Stream, graph: Graph) {
        self.stream = stream
        self.graph = graph
    }

    func value(_ name: String) throws -> DMem {
        if let v = values[name] { return v }
        if let c = graph.constants[name] { return try DMem.from(c) }
        throw EngineError("tensor '\(name)' is not available")
    }

    /// A tensor as a plain `Tensor` (constants straight from the graph).
    func tensor(_ name: String) throws -> Tensor {
        if let c = graph.constants[name], values[name] == nil { return c }
        return try toTensor(try value(name), stream)
    }
}

/// Thrown by a step's initialiser for a case oneDNN does not do by design
/// (docs/FAST-BACKEND.md, "Native vs fallback"): the reference runs that node,
/// silently. Any other error while building a step (a oneDNN call failing)
/// is a failure: `BuildFailures` reports it.
struct NotNative: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// oneDNN primitives that failed to build, for one engine: each distinct
/// failure is said once on stderr, and kept for tests (`FastEngine.buildFailures`).
final class BuildFailures: @unchecked Sendable {
    // @unchecked: `list` is only read and written under `lock`.
    private var list: [String] = []
    private let lock = NSLock()

    /// Records that `node` runs on the reference because building its step threw `error`.
    func report(_ node: Node, _ error: Error) {
        let what = "node '\(node.name)' (\(node.op.name)): \(error)"
        lock.lock()
        let first = !list.contains(what)
        if first { list.append(what) }
        lock.unlock()
        if first {
            FileHandle.standardError.write(Data(
                "igcam: warning: oneDNN could not build the step for \(what); the reference engine runs it instead (slower)\n".utf8))
        }
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}

/// One compiled node: forward into `ctx.values[node.output]`, and backward
/// from d loss / d output to d loss / d input `wrt`.
protocol Step: AnyObject {
    var node: Node { get }
    /// Whether `backward` reads the node's inputs / its output (so the
    /// gradient path keeps only what it needs).
    var backwardReadsInputs: Bool { get }
    var backwardReadsOutput: Bool { get }
    func forward(_ ctx: RunContext) throws
    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem
}

extension Step {
    /// The op name when oneDNN runs the node, "reference" for a fallback.
    var kind: String { self is FallbackStep ? "reference" : node.op.name }
}

/// A node run by the reference ops on plain tensors, reordered at its edges.
/// What fusion added is undone here: `activation` is a ReLU/Clip fused after
/// the op (an Add, or a Conv with a fused residual), `residual` a residual
/// Add fused into a Conv (its last input), see `fuse`.
final class FallbackStep: Step {
    let node: Node
    /// The op the reference runs: the node's, without a residual Conv's activation.
    let op: Op
    let activation: Activation
    let residual: Bool
    var backwardReadsInputs: Bool { true }
    var backwardReadsOutput: Bool { true }

    init(_ node: Node, activation: Activation = .none, residual: Bool = false) {
        self.node = node
        if residual, case .conv(var a) = node.op {
            // conv(x) + residual, then the convolution's own activation.
            self.activation = a.activation
            a.activation = .none
            op = .conv(a)
            self.residual = true
        } else {
            op = node.op
            self.activation = activation
            self.residual = false
        }
    }

    /// The value before the fused activation.
    private func preActivation(_ xs: [Tensor]) throws -> Tensor {
        guard residual else { return try ReferenceOps.forward(op, xs) }
        var y = try ReferenceOps.forward(op, Array(xs.dropLast()))
        let r = xs[xs.count - 1]
        guard r.shape == y.shape else { throw EngineError("residual of shape \(r.shape) for output \(y.shape)") }
        for i in 0..<y.count { y.data[i] += r.data[i] }
        return y
    }

    func forward(_ ctx: RunContext) throws {
        let xs = try node.inputs.map { try ctx.tensor($0) }
        var y = try preActivation(xs)
        if let a = activation.unary { y = try ReferenceOps.forward(.unary(a), [y]) }
        ctx.values[node.output] = try DMem.from(y)
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        let xs = try node.inputs.map { try ctx.tensor($0) }
        let y = try ctx.tensor(node.output)
        var d = try toTensor(dy, ctx.stream)
        var pre = y
        if let a = activation.unary {
            pre = try preActivation(xs)
            d = try ReferenceOps.backward(.unary(a), [pre], y: y, dy: d, wrt: 0)
        }
        guard residual else { return try DMem.from(ReferenceOps.backward(op, xs, y: pre, dy: d, wrt: wrt)) }
        if wrt == xs.count - 1 { return try DMem.from(d) }   // the residual: passed through
        // (The convolution's backward without an activation does not read its output.)
        return try DMem.from(ReferenceOps.backward(op, Array(xs.dropLast()), y: pre, dy: d, wrt: wrt))
    }
}

/// Reordered weights shared by every plan of one engine (so plans for
/// several batch sizes hold one copy per layout, not one per plan).
/// `@unchecked Sendable`: `store` is read and written under `lock`, and the
/// memories it hands out are only read after they are made.
final class WeightCache: @unchecked Sendable {
    private var store: [String: [DMem]] = [:]
    private let lock = NSLock()

    /// `make()` (plain weights) reordered to `md`, made once per (key, layout).
    func get(_ key: String, _ md: MD, _ stream: Stream, _ make: () throws -> DMem) throws -> DMem {
        lock.lock()
        defer { lock.unlock() }
        if let hit = store[key]?.first(where: { mdEqual($0.md, md) }) { return hit }
        let plain = try make()
        plain.pooled = false
        let m = try convert(plain, to: md, stream)
        store[key, default: []].append(m)
        return m
    }
}

/// The oneDNN eltwise algorithm of a stand-alone activation (nil: the
/// reference runs it).
func eltwiseAlg(_ op: UnaryOp) -> (alg: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
    switch op {
    case .relu: return (dnnl_eltwise_relu, 0, 0)
    case .leakyRelu(let a): return (dnnl_eltwise_relu, a, 0)
    case .clip(let lo, let hi): return (dnnl_eltwise_clip_v2, lo, hi)
    case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
    case .hardSwish: return (dnnl_eltwise_hardswish, 0, 0)
    case .elu(let a): return (dnnl_eltwise_elu, a, 0)
    // oneDNN 2.6 has no hard-sigmoid algorithm.
    case .hardSigmoid: return nil
    }
}

/// The activation `fuse` may fold into the Conv, Gemm or Add before it: those
/// whose backward oneDNN computes from the output alone (nil: never fused).
func fusable(_ op: UnaryOp) -> Activation? {
    switch op {
    case .relu: return .relu
    case .clip(let lo, let hi): return .clip(min: lo, max: hi)
    case .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .elu: return nil
    }
}

/// The "use dst for backward" variant for an activation fused into a
/// convolution or inner product (only its output is kept).
func fusedActivation(_ a: Activation) -> (alg: dnnl_alg_kind_t, bwd: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
    switch a {
    case .none: return nil
    case .relu: return (dnnl_eltwise_relu, dnnl_eltwise_relu_use_dst_for_bwd, 0, 0)
    case .clip(let lo, let hi): return (dnnl_eltwise_clip_v2, dnnl_eltwise_clip_v2_use_dst_for_bwd, lo, hi)
    }
}

/// d loss / d pre-activation of a fused activation, from its output `y`
/// (the "use dst for backward" algorithms); the primitive is made once per
/// layout and kept.
final class FusedActivationBackward {
    let activation: Activation
    private let lock = NSLock()
    private var cached: (MD, Prim)?

    init(_ a: Activation) { activation = a }

    private func primitive(_ md: MD) throws -> Prim? {
        guard let f = fusedActivation(activation) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let (m, p) = cached, mdEqual(m, md) { return p }
        var ymd = md
        var fd = dnnl_eltwise_desc_t()
        try check(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, f.bwd, &ymd, f.alpha, f.beta), "eltwise forward desc")
        let fwd = try Prim(fd, "eltwise forward")
        var bd = dnnl_eltwise_desc_t()
        try check(dnnl_eltwise_backward_desc_init(&bd, f.bwd, &ymd, &ymd, f.alpha, f.beta), "eltwise backward desc")
        let p = try Prim(bd, hint: fwd, "eltwise backward")
        cached = (md, p)
        return p
    }

    func run(y: DMem, dy: DMem, _ stream: Stream) throws -> DMem {
        guard let p = try primitive(y.md) else { return dy }
        let d = try convert(dy, to: y.md, stream)
        let out = try DMem(y.md)
        try p.execute(stream, [(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, d), (DNNL_ARG_DIFF_SRC, out)], "eltwise backward")
        return out
    }
}
