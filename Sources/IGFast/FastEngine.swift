import CDNNL
import Foundation
import IGEngine

/// The fast backend: runs a `Graph` as a sequence of oneDNN 2.6 primitives,
/// with activations kept in oneDNN's blocked layouts between layers and
/// reordered to plain NCHW only at the edges (input, output, captured
/// tensors, reference fallbacks). Held to `ReferenceEngine` by tests.
///
/// Plans are compiled per batch size and per set of requested tensors (a
/// Conv/Gemm followed by ReLU/Clip is fused only when the intermediate is not
/// requested), cached, and safe to share between threads.
///
/// `@unchecked Sendable`: the only mutable state, `plans` and `uses`, is read
/// and written under `lock`; everything else is immutable or a cache with its
/// own lock (`WeightCache`, `BuildFailures`, `CompiledPlan`).
public final class FastEngine: InferenceEngine, @unchecked Sendable {
    public let graph: Graph
    public let plan: GraphPlan
    /// OpenMP threads used by oneDNN for calls on this engine.
    public let threads: Int

    let weights = WeightCache()
    let failures = BuildFailures()
    private var plans: [PlanKey: (plan: CompiledPlan, lastUse: Int)] = [:]
    private var uses = 0
    /// Most compiled plans kept (per batch size, request and target layer); the least
    /// recently used is dropped beyond this. A viewer walking every layer of a large
    /// model would otherwise keep a plan per layer forever.
    public static let maxPlans = 32
    private let lock = NSLock()

    /// - Parameters:
    ///   - graph: the network (BN already folded where possible).
    ///   - threads: oneDNN threads per call; default all cores.
    public init(graph: Graph, threads: Int? = nil) throws {
        if let t = threads, t < 1 { throw EngineError("FastEngine: threads must be at least 1, got \(t)") }
        _ = try DNNLContext.shared.cpu()
        self.graph = graph
        self.plan = GraphPlan(graph)
        self.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// oneDNN's version and CPU threading runtime, e.g. "oneDNN 2.6.3 (OpenMP)".
    public static var runtimeDescription: String {
        guard let v = dnnl_version()?.pointee else { return "oneDNN (unknown version)" }
        let rt: String
        switch v.cpu_runtime {
        case UInt32(DNNL_RUNTIME_OMP): rt = "OpenMP"
        case UInt32(DNNL_RUNTIME_TBB): rt = "TBB"
        case UInt32(DNNL_RUNTIME_SEQ): rt = "sequential"
        case UInt32(DNNL_RUNTIME_THREADPOOL): rt = "threadpool"
        default: rt = "runtime \(v.cpu_runtime)"
        }
        return "oneDNN \(v.major).\(v.minor).\(v.patch) (\(rt))"
    }

    /// The nodes whose oneDNN step failed to build (each also said once on
    /// stderr), which then ran on the reference. Empty when every step that
    /// oneDNN does by design was built; the model parity tests require that.
    public var buildFailures: [String] { failures.all }

    /// For each node of the compiled plan for this batch size and request,
    /// how it runs: "Conv" etc. for a oneDNN primitive, "reference" for a
    /// fallback. Fused activations do not appear. Empty until that plan ran.
    public func stepKinds(batch: Int, capture: Set<String> = [], layer: String? = nil) -> [String: String] {
        let key = layer.map { PlanKey(n: batch, keep: capture.union([graph.output, $0]), mode: "grad:\($0)") }
            ?? PlanKey(n: batch, keep: capture.union([graph.output]), mode: "fwd")
        lock.lock()
        let cp = plans[key]?.plan
        lock.unlock()
        return cp?.kinds() ?? [:]
    }

    // MARK: plans

    struct PlanKey: Hashable {
        let n: Int
        let keep: Set<String>
        let mode: String
    }

    private func compiled(_ key: PlanKey, backwardTo layer: String?) throws -> CompiledPlan {
        lock.lock()
        defer { lock.unlock() }
        uses += 1
        if let p = plans[key] {
            plans[key]?.lastUse = uses
            return p.plan
        }
        let f = fuse(graph, keep: key.keep, backwardTo: layer)
        let p = try CompiledPlan(f, backwardTo: layer, weights: weights, failures: failures)
        if plans.count >= Self.maxPlans, let oldest = plans.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            plans[oldest] = nil
        }
        plans[key] = (p, uses)
        return p
    }

    private func setThreads() { omp_set_num_threads(Int32(threads)) }

    /// How many compiled plans are kept now (at most `maxPlans`).
    public var planCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return plans.count
    }

    /// Runs `nodes` (ascending) of `cp`, freeing tensors after their last
    /// reader unless kept or read by the backward of a node in `backward`.
    private func run(_ cp: CompiledPlan, _ nodes: [Int], _ ctx: RunContext, keep: Set<String>, backward: Set<Int> = [],
                     profiler: Profiler? = nil) throws {
        let set = Set(nodes)
        for i in nodes {
            let node = cp.graph.nodes[i]
            do {
                let step = try cp.step(i, ctx)
                if let profiler {
                    try profiler.measure(node.name, step.kind) { try step.forward(ctx) }
                } else {
                    try step.forward(ctx)
                }
            } catch let e as EngineError {
                throw EngineError("node '\(node.name)' (\(node.op.name)): \(e.message)")
            }
            for x in node.inputs where !keep.contains(x) {
                if let readers = cp.plan.consumers[x], readers.allSatisfy({ $0 <= i || !set.contains($0) }),
                   try !cp.neededBackward(x, backward, ctx) {
                    ctx.values[x] = nil
                }
            }
        }
    }

    private func checkCapture(_ capture: Set<String>) throws {
        for c in capture where !plan.hasTensor(c) { throw EngineError("unknown layer '\(c)'") }
    }

    private func captured(_ capture: Set<String>, _ ctx: RunContext) throws -> [String: Tensor] {
        var out = [String: Tensor]()
        for c in capture { out[c] = try ctx.tensor(c) }
        return out
    }

    // MARK: InferenceEngine

    /// The logits for a batch [N, C, H, W] and every tensor in `capture`
    /// (plain NCHW). Captured tensors are never fused away.
    public func forward(_ input: Tensor, capture: Set<String>) throws -> ForwardResult {
        try checkInput(input)
        try checkCapture(capture)
        setThreads()
        let keep = capture.union([graph.output])
        let cp = try compiled(PlanKey(n: input.shape[0], keep: keep, mode: "fwd"), backwardTo: nil)
        var needed = cp.plan.upstream(of: graph.output)
        for c in capture { needed.formUnion(cp.plan.upstream(of: c)) }
        let ctx = RunContext(stream: try DNNLContext.shared.makeStream(), graph: cp.graph)
        ctx.values[graph.input] = try DMem.from(input)
        let profiler = Profiler("forward N=\(input.shape[0])")
        try run(cp, needed.sorted(), ctx, keep: keep, profiler: profiler)
        profiler?.report()
        return ForwardResult(output: try ctx.tensor(graph.output), captured: try captured(capture, ctx))
    }

    /// Forward, then backward of `sum_n output[n, classes[n]]` down to `layer`
    /// only (never to weights), as `ReferenceEngine.gradient`.
    public func gradient(_ input: Tensor, layer: String, classes: [Int], capture: Set<String>) throws -> GradientResult {
        try checkInput(input)
        try checkCapture(capture)
        guard plan.hasTensor(layer) else { throw EngineError("unknown layer '\(layer)'") }
        setThreads()
        let fuseKeep = capture.union([graph.output, layer])
        let cp = try compiled(PlanKey(n: input.shape[0], keep: fuseKeep, mode: "grad:\(layer)"), backwardTo: layer)
        let back = cp.backwardNodes
        let keep = fuseKeep
        var needed = cp.plan.upstream(of: graph.output)
        for c in capture { needed.formUnion(cp.plan.upstream(of: c)) }
        let ctx = RunContext(stream: try DNNLContext.shared.makeStream(), graph: cp.graph)
        ctx.values[graph.input] = try DMem.from(input)
        let profiler = Profiler("gradient N=\(input.shape[0]) to \(layer)")
        try run(cp, needed.sorted(), ctx, keep: keep, backward: cp.training, profiler: profiler)
        let output = try ctx.tensor(graph.output)
        let seed = try oneHotSeed(output: output, classes: classes)

        let onPath = Set(back.map { cp.graph.nodes[$0].output }).union([layer])
        var grads = [graph.output: try DMem.from(seed)]
        for i in back.reversed() {
            let node = cp.graph.nodes[i]
            guard let dy = grads.removeValue(forKey: node.output) else { continue }
            let step = try cp.step(i, ctx)
            for (k, x) in node.inputs.enumerated() where onPath.contains(x) && !cp.plan.isConstant(x) {
                let g: DMem
                do {
                    if let profiler {
                        g = try profiler.measure(node.name, "bwd " + step.kind) { try step.backward(ctx, dy: dy, wrt: k) }
                    } else {
                        g = try step.backward(ctx, dy: dy, wrt: k)
                    }
                } catch let e as EngineError {
                    throw EngineError("backward through node '\(node.name)' (\(node.op.name)): \(e.message)")
                }
                grads[x] = try grads[x].map { try addMem($0, g, ctx.stream) } ?? g
            }
        }
        profiler?.report()
        guard let g = grads[layer] else { throw EngineError("no gradient reached layer '\(layer)'") }
        return GradientResult(output: output, activation: try ctx.tensor(layer), gradient: try toTensor(g, ctx.stream),
                              captured: try captured(capture, ctx))
    }

    /// Runs only the nodes after `layer` from `activation` [N, ...]; skip
    /// inputs from before the layer come from `context` (batch 1 or N).
    public func head(from layer: String, activation: Tensor, context: [String: Tensor]) throws -> Tensor {
        guard activation.rank >= 1, activation.shape[0] >= 1 else { throw EngineError("head: activation needs a batch axis, got \(activation.shape)") }
        setThreads()
        let keep: Set<String> = [graph.output, layer]
        let cp = try compiled(PlanKey(n: activation.shape[0], keep: keep, mode: "head:\(layer)"), backwardTo: nil)
        let (nodes, inputs) = try cp.plan.head(after: layer)
        let n = activation.shape[0]
        let ctx = RunContext(stream: try DNNLContext.shared.makeStream(), graph: cp.graph)
        ctx.values[layer] = try DMem.from(activation)
        for x in inputs {
            guard let v = context[x] else { throw EngineError("the head after '\(layer)' also reads '\(x)': pass it in the context") }
            ctx.values[x] = try DMem.from(tileBatch(v, to: n))
        }
        try run(cp, nodes, ctx, keep: [graph.output])
        return try ctx.tensor(graph.output)
    }
}

/// The graph a plan runs, after fusion, and what the steps need to know about it.
///
/// Fusion is the fast engine's business: the shared graph IR has no fused
/// residual, so the reference engine never sees one. A Conv with a residual
/// Add fused in keeps its `.conv` op and attributes and gains one input, the
/// residual (inputs x, W, [bias,] residual); it is named in `residualConvs`.
struct FusedGraph {
    var graph: Graph
    /// Add nodes with a ReLU/Clip fused after them, by node name.
    var addActivations: [String: Activation]
    /// Conv nodes (by name) with a residual Add fused in: the node's last
    /// input is added to the convolution's output before its activation.
    var residualConvs: Set<String>
    /// Conv nodes of `residualConvs` whose residual's value dies at that
    /// node: the convolution may accumulate into the residual's buffer.
    var inPlaceResiduals: Set<String>
}

/// Fuses, for a plan that keeps `keep` and runs backward over the nodes after
/// `layer` (if any):
/// - a residual Add into the Conv that produces one of its operands (oneDNN's
///   sum post-op: the convolution accumulates onto the other operand), when that
///   Conv output has the Add as its only reader and neither node is on the
///   backward path; the fused node sits where the Add was;
/// - a ReLU/Clip into the Conv, Gemm, fused Conv+Add or two-activation Add
///   before it, when the intermediate has that single reader and is not kept.
/// Conv and Gemm carry these in their attributes; a fused Add is returned by
/// node name (its step applies the activation as a oneDNN post-op).
func fuse(_ g: Graph, keep: Set<String>, backwardTo layer: String? = nil) -> FusedGraph {
    let p = GraphPlan(g)
    var shapes = g.shapes
    if shapes.isEmpty {
        var copy = g
        if (try? copy.inferShapes()) != nil { shapes = copy.shapes }
    }
    let onBackward = Set((layer.flatMap { try? p.backwardNodes(to: $0) }) ?? [])

    // Residual adds: add index -> (conv index, residual tensor).
    var residualAdds = [Int: (conv: Int, residual: String)]()
    var fusedConvs = Set<Int>()
    for (j, n) in g.nodes.enumerated() where n.op == .binary(.add) && n.inputs.count == 2 && !onBackward.contains(j) {
        guard n.inputs.allSatisfy({ g.constants[$0] == nil }), !keep.contains(n.inputs[0]) || !keep.contains(n.inputs[1]),
              let s0 = shapes[n.inputs[0]], s0 == shapes[n.inputs[1]] else { continue }
        let candidates = (0..<2).compactMap { q -> (q: Int, i: Int)? in
            let x = n.inputs[q]
            guard !keep.contains(x), let i = p.producer[x], !onBackward.contains(i), p.consumers[x] == [j],
                  case .conv(let a) = g.nodes[i].op, a.activation == .none else { return nil }
            return (q, i)
        }
        guard let c = candidates.max(by: { $0.i < $1.i }), n.inputs[0] != n.inputs[1] else { continue }
        residualAdds[j] = (c.i, n.inputs[1 - c.q])
        fusedConvs.insert(c.i)
    }

    var nodes = [Node]()
    var skip = Set<Int>()
    var adds = [String: Activation]()
    var inPlace = Set<String>()
    var residualConvs = Set<String>()
    for (i, n) in g.nodes.enumerated() where !skip.contains(i) && !fusedConvs.contains(i) {
        var node = n
        if let (ci, r) = residualAdds[i] {
            let conv = g.nodes[ci]
            node = Node(name: conv.name, op: conv.op, inputs: conv.inputs + [r], output: n.output)
            residualConvs.insert(conv.name)
            if !keep.contains(r), r != g.input, (p.consumers[r] ?? []).allSatisfy({ $0 <= i }) { inPlace.insert(conv.name) }
        }
        if !keep.contains(node.output), let readers = p.consumers[node.output], readers.count == 1, let j = readers.first,
           g.nodes[j].inputs == [node.output] {
            if case .unary(let u) = g.nodes[j].op, let act = fusable(u) {
                switch node.op {
                case .conv(var a) where a.activation == .none:
                    a.activation = act
                    node = Node(name: node.name, op: .conv(a), inputs: node.inputs, output: g.nodes[j].output)
                    skip.insert(j)
                case .gemm(var a) where a.activation == .none:
                    a.activation = act
                    node = Node(name: node.name, op: .gemm(a), inputs: node.inputs, output: g.nodes[j].output)
                    skip.insert(j)
                case .binary(.add) where node.inputs.count == 2 && node.inputs.allSatisfy({ g.constants[$0] == nil }):
                    adds[node.name] = act
                    node = Node(name: node.name, op: node.op, inputs: node.inputs, output: g.nodes[j].output)
                    skip.insert(j)
                default: break
                }
            }
        }
        nodes.append(node)
    }
    var out = g
    out.nodes = nodes
    return FusedGraph(graph: out, addActivations: adds, residualConvs: residualConvs, inPlaceResiduals: inPlace)
}

/// One compiled graph: the fused node list and its steps, built on first
/// use from the layouts the inputs arrive in.
///
/// `@unchecked Sendable`: `steps` is read and written under `lock`. A step
/// is immutable once built except for its lazily made backward primitive,
/// which each step guards with its own lock, and its primitives run with a
/// scratchpad per call (`Prim.execute`), so several calls may share it.
final class CompiledPlan: @unchecked Sendable {
    let graph: Graph
    let plan: GraphPlan
    let backwardNodes: [Int]
    let training: Set<Int>
    let weights: WeightCache
    let failures: BuildFailures
    /// Add nodes with a ReLU/Clip fused after them (see `fuse`).
    let addActivations: [String: Activation]
    /// Conv nodes with a residual Add fused in (see `FusedGraph`).
    let residualConvs: Set<String>
    /// Conv nodes whose fused residual may be overwritten (see `fuse`).
    let inPlaceResiduals: Set<String>
    private var steps: [Step?]
    private let lock = NSLock()

    init(_ fused: FusedGraph, backwardTo layer: String?, weights: WeightCache, failures: BuildFailures) throws {
        let graph = fused.graph
        self.graph = graph
        self.addActivations = fused.addActivations
        self.residualConvs = fused.residualConvs
        self.inPlaceResiduals = fused.inPlaceResiduals
        self.weights = weights
        self.failures = failures
        let p = GraphPlan(graph)
        let back = try layer.map { try p.backwardNodes(to: $0) } ?? []
        backwardNodes = back
        training = Set(back)
        plan = p
        steps = [Step?](repeating: nil, count: graph.nodes.count)
    }

    /// Whether the backward of a node in `backward` reads tensor `x` (its
    /// producer's output or one of its readers' inputs). Those steps exist:
    /// this is asked after all of x's readers ran.
    func neededBackward(_ x: String, _ backward: Set<Int>, _ ctx: RunContext) throws -> Bool {
        if backward.isEmpty { return false }
        if let p = plan.producer[x], backward.contains(p), try step(p, ctx).backwardReadsOutput { return true }
        for r in plan.consumers[x] ?? [] where backward.contains(r) {
            if try step(r, ctx).backwardReadsInputs { return true }
        }
        return false
    }

    func kinds() -> [String: String] {
        lock.lock()
        defer { lock.unlock() }
        var out = [String: String]()
        for s in steps.compactMap({ $0 }) { out[s.node.name] = s.kind }
        return out
    }

    func step(_ i: Int, _ ctx: RunContext) throws -> Step {
        lock.lock()
        defer { lock.unlock() }
        if let s = steps[i] { return s }
        let s = build(graph.nodes[i], ctx, training: training.contains(i))
        steps[i] = s
        return s
    }

    /// A oneDNN step for the node, or the reference when oneDNN does not do
    /// it (by design: `NotNative`, silent) or failed to build it (reported).
    private func build(_ node: Node, _ ctx: RunContext, training: Bool) -> Step {
        func x0() throws -> DMem {
            guard let name = node.inputs.first, let v = ctx.values[name] else { throw NotNative("first input is not an activation") }
            return v
        }
        do {
            switch node.op {
            case .conv(let a):
                return try ConvStep(node, a, x: x0(), graph: graph, cache: weights, stream: ctx.stream,
                                    residual: residualConvs.contains(node.name),
                                    residualInPlace: inPlaceResiduals.contains(node.name))
            case .unary(let u):
                if eltwiseAlg(u) != nil { return try EltwiseStep(node, u, x: x0(), training: training) }
            case .maxPool(let a):
                return try PoolStep(node, .window(a, isMax: true), x: x0(), training: training)
            case .averagePool(let a):
                return try PoolStep(node, .window(a, isMax: false), x: x0(), training: training)
            case .globalAveragePool:
                return try PoolStep(node, .globalAverage, x: x0(), training: training)
            case .binary(let b):
                if binaryAlg(b) != nil {
                    return try BinaryStep(node, b, ctx: ctx, activation: addActivations[node.name] ?? .none)
                }
            case .batchNorm:
                return try BatchNormStep(node, x: x0(), graph: graph)
            case .gemm(let a):
                return try InnerProductStep(node, a, x: x0(), graph: graph, cache: weights, stream: ctx.stream, training: training)
            case .matMul:
                return try MatMulStep(node, x: x0(), graph: graph)
            case .concat(let axis):
                return try ConcatStep(node, axis: axis, ctx: ctx)
            case .softmax(let axis):
                return try SoftmaxStep(node, axis: axis, x: x0())
            // No oneDNN step: the reference runs these (docs/FAST-BACKEND.md, "Native vs fallback").
            case .prelu, .lrn, .globalMaxPool, .flatten, .reshape, .squeeze, .unsqueeze, .transpose, .logSoftmax,
                 .identity, .pad, .padBorder, .reduceMean:
                break
            }
        } catch is NotNative {
            // A case oneDNN does not do: the reference does it (and reports real errors in the input).
        } catch {
            failures.report(node, error)
        }
        return FallbackStep(node, activation: addActivations[node.name] ?? .none, residual: residualConvs.contains(node.name))
    }
}
