import Foundation
import IGEngine

/// Reads an ONNX image classifier into the engine's `Graph`: shape
/// arithmetic is folded at load time (batch 1), BatchNormalization is folded
/// into a preceding Conv where it is that Conv's only consumer, and every
/// other node is lowered to an `Op`.
public enum ONNXImporter {
    /// Load a model file. External data files are looked up next to it.
    /// `layout` says how the image input is laid out (`.auto`: NHWC when the
    /// input is [N, H, W, C] with C in 1...4 and H, W > C).
    public static func load(path: String, layout: InputLayout = .auto) throws -> Graph {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ONNXError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try load(data: data, fileName: path, directory: url.deletingLastPathComponent().path, layout: layout)
    }

    /// Load a model from memory. `fileName` names it in errors; `directory`
    /// (default: the folder of `fileName`) is where external data is looked up.
    public static func load(data: Data, fileName: String, directory: String? = nil,
                            layout: InputLayout = .auto) throws -> Graph {
        let dir = directory ?? URL(fileURLWithPath: fileName).deletingLastPathComponent().path
        let bytes = [UInt8](data)
        let model: ModelMsg
        do { model = try ModelMsg(bytes) } catch let e as ProtoError {
            throw ONNXError(file: fileName, message: "not a valid ONNX protobuf (truncated or corrupt): \(e.message)")
        }
        guard let graph = model.graph, !graph.nodes.isEmpty || !graph.outputs.isEmpty else {
            throw ONNXError(file: fileName, message: "not an ONNX model: no graph found")
        }
        var imp = Import(file: fileName, directory: dir, opset: model.opset, fileBytes: bytes.count)
        return try imp.run(graph, layout: layout)
    }
}

/// How a model's image input is laid out.
public enum InputLayout: String, Sendable, CaseIterable {
    /// Guess from the input's shape: NHWC when [N, H, W, C] has C in 1...4 and H, W > C.
    case auto
    case nchw
    case nhwc

    /// Whether an input of shape [N, d1, d2, d3] is NHWC under this setting.
    func isNHWC(_ d: [Int]) -> Bool {
        switch self {
        case .nchw: return false
        case .nhwc: return true
        case .auto: return d.count == 3 && (1...4).contains(d[2]) && d[0] > d[2] && d[1] > d[2]
        }
    }
}

/// One import in progress.
struct Import {
    let file: String
    let directory: String
    let opset: Int
    var ctx: LoweringContext
    var nodes: [Node] = []
    /// The ONNX node each lowered node's output came from (for aliases).
    var origin: [String: NodeMsg] = [:]
    var consumers: [String: Int] = [:]
    var externalCache: [String: [UInt8]] = [:]
    /// Values in all the constants made at load time so far, and how many the bytes read
    /// (the file and its external data) allow: see `foldBudget(bytes:)`.
    var folded = 0
    var bytesRead: Int

    init(file: String, directory: String, opset: Int, fileBytes: Int) {
        self.file = file; self.directory = directory; self.opset = opset
        bytesRead = fileBytes
        ctx = LoweringContext(opset: opset, consts: [:], shapes: [:])
    }

    func error(_ m: String, _ n: NodeMsg? = nil) -> ONNXError {
        ONNXError(file: file, node: n.map { $0.name.isEmpty ? ($0.outputs.first ?? "?") : $0.name }, opType: n?.opType, message: m)
    }

    mutating func decode(_ t: TensorProtoMsg) throws -> ConstValue {
        var raw = t.rawData
        if t.dataLocation == 1 {
            var loc: String? = nil, offset = 0, length: Int? = nil
            for (k, v) in t.externalData {
                if k == "location" { loc = v }
                if k == "offset" { offset = Int(v) ?? -1 }
                if k == "length" { length = Int(v) ?? -1 }
            }
            guard let l = loc, !l.isEmpty else { throw error("tensor '\(t.name)' is external but names no location") }
            guard !l.hasPrefix("/"), !l.split(separator: "/").contains("..") else {
                throw error("external data location '\(l)' of tensor '\(t.name)' leaves the model's folder")
            }
            if externalCache[l] == nil {
                let path = (directory as NSString).appendingPathComponent(l)
                guard let d = FileManager.default.contents(atPath: path) else {
                    throw error("missing external data file '\(path)' for tensor '\(t.name)'")
                }
                externalCache[l] = [UInt8](d)
                bytesRead += d.count
            }
            let all = externalCache[l] ?? []
            let len = length ?? (all.count - offset)
            guard offset >= 0, len >= 0, offset <= all.count, len <= all.count - offset else {
                throw error("external data of tensor '\(t.name)' (offset \(offset), length \(len)) lies outside '\(l)' (\(all.count) bytes)")
            }
            raw = Array(all[offset ..< offset + len])
        }
        do { return try decodeTensor(t, raw: raw) } catch let e as UnsupportedType {
            throw error("unsupported data type \(dataTypeName(e.type)) of tensor '\(e.tensor)'")
        } catch let e as ProtoError {
            throw error(e.message)
        }
    }

    mutating func run(_ g: GraphMsg, layout: InputLayout = .auto) throws -> Graph {
        for t in g.initializers { ctx.consts[t.name] = try decode(t) }
        // The image input: the first graph input that is not an initializer.
        guard let inp = g.inputs.first(where: { ctx.consts[$0.name] == nil }) else { throw error("the graph has no input") }
        guard let dims = inp.dims, dims.count == 4 else {
            throw error("input '\(inp.name)' must be 4-D (N, C, H, W); its shape is \(inp.dims.map { "\($0.count)-D" } ?? "unknown")")
        }
        var chw = [Int]()
        for d in dims.dropFirst() {
            guard case .value(let v) = d, v > 0, v < 1 << 20 else {
                throw error("input '\(inp.name)' needs a fixed C, H, W, each 1 to 2^20 - 1 (got \(dims.map(describe)))")
            }
            chw.append(Int(v))
        }
        ctx.shapes[inp.name] = [1] + chw
        // An NHWC input is fed NCHW: see LayoutPass.
        let nhwc = layout.isNHWC(chw)
        if nhwc { chw = [chw[2], chw[0], chw[1]] }
        guard let fileOut = g.outputs.first?.name else { throw error("the graph has no output") }
        var out = fileOut

        for n in g.nodes { for i in n.inputs where !i.isEmpty { consumers[i, default: 0] += 1 } }
        for o in g.outputs { consumers[o.name, default: 0] += 1 }

        for n in g.nodes { try step(n) }

        guard ctx.shapes[out] != nil else {
            if ctx.consts[out] != nil { throw error("output '\(out)' is a constant") }
            throw error("output '\(out)' is not computed by any node")
        }
        out = canonicaliseLayout(input: inp.name, nhwcInput: nhwc, output: out).output
        let removed = removeFinalSoftmax(output: &out)
        var used = [String: Tensor]()
        for node in nodes { for i in node.inputs { if let c = ctx.consts[i], used[i] == nil { used[i] = c.tensor } } }
        var graph = Graph(nodes: nodes, constants: used, input: inp.name, inputShape: chw, output: out)
        if let removed { graph.removedSoftmax = removed; graph.fileOutput = fileOut }
        do { try graph.inferShapes() } catch { throw self.error("shape inference failed: \(error)") }
        // Refuse absurd shapes here, with a message, rather than run out of memory at the first forward.
        for (name, shape) in graph.shapes {
            guard let n = checkedCount(shape.map(Int64.init)), n <= maxTensorElements else {
                throw error("tensor '\(name)' has shape \(shape): more than \(maxTensorElements) values per image, refused")
            }
        }
        graph.aliases = computeAliases(nodes: nodes, origin: origin)
        return graph
    }

    /// When the output is a Softmax/LogSoftmax over the class axis (possibly
    /// followed by Identity/Flatten/Reshape/Squeeze/Unsqueeze), removes it so
    /// that the graph's output is the logits; returns the op's name.
    mutating func removeFinalSoftmax(output: inout String) -> String? {
        var readers = [String: Int]()
        for n in nodes { for i in n.inputs { readers[i, default: 0] += 1 } }
        var t = output
        var between = [Int]()
        while let k = nodes.lastIndex(where: { $0.output == t }) {
            let n = nodes[k]
            switch n.op {
            case .identity, .flatten, .reshape, .squeeze, .unsqueeze:
                guard t == output || readers[t] == 1 else { return nil }
                between.append(k)
                t = n.inputs[0]
                continue
            case .softmax(let axis), .logSoftmax(let axis):
                guard t == output || readers[t] == 1, let s = ctx.shapes[n.inputs[0]], axis < s.count,
                      s.enumerated().allSatisfy({ $0.offset == axis || $0.offset == 0 || $0.element == 1 }) else { return nil }
                let name = n.op.name
                let logits = n.inputs[0]
                nodes.remove(at: k)
                if between.isEmpty {
                    output = logits
                } else {
                    // The first shape op after the softmax now reads the logits.
                    let first = between.last! - 1   // indices after k shift by one
                    nodes[first].inputs[0] = logits
                }
                return name
            case .conv, .batchNorm, .unary, .binary, .prelu, .lrn, .maxPool, .averagePool, .globalAveragePool,
                 .globalMaxPool, .transpose, .gemm, .matMul, .concat, .pad, .padBorder, .reduceMean:
                return nil
            }
        }
        return nil
    }

    func describe(_ d: DimMsg) -> String {
        switch d {
        case .value(let v): return "\(v)"
        case .param(let p): return p
        case .unknown: return "?"
        }
    }

    mutating func step(_ n: NodeMsg) throws {
        guard n.domain.isEmpty || n.domain == "ai.onnx" else {
            throw error("unsupported op \(n.domain).\(n.opType) (custom domain)", n)
        }
        guard let out = n.outputs.first, !out.isEmpty else { throw error("node has no output", n) }
        for i in n.inputs where !i.isEmpty && ctx.consts[i] == nil && ctx.shapes[i] == nil {
            throw error("input '\(i)' is neither an initializer nor computed earlier (missing initializer?)", n)
        }
        let present = n.inputs.filter { !$0.isEmpty }
        // Load-time evaluation.
        if foldableOps.contains(n.opType) && present.allSatisfy({ ctx.consts[$0] != nil }) {
            do {
                let v = try evaluateConstant(n, n.inputs.map { $0.isEmpty ? nil : ctx.consts[$0] }, opset: opset,
                                             decode: { t in try self.decode(t) })
                // Integer constants are shape arithmetic (shapes, axes, pads, indices). A long one
                // is a crafted file: fuzz finding 6 carried 16.7M int64 values through five ops
                // (seconds each under the sanitizers); refuse it where it is made.
                guard !v.isInt || v.count <= maxFoldedIntegers else {
                    throw FoldError(message: "an integer constant of \(v.count) values (at most \(maxFoldedIntegers): integer tensors are shapes, axes, pads and indices)")
                }
                // Load-time work in proportion to the bytes read: a few KB cannot make millions
                // of values (fuzz finding 8: a 2 KB file sent 16.7M floats through six ops).
                folded += v.count
                let budget = foldBudget(bytes: bytesRead)
                guard folded <= budget else {
                    throw FoldError(message: "the constants made at load time reach \(folded) values, more than a model of \(bytesRead) bytes can describe (at most \(budget))")
                }
                ctx.consts[out] = v
            } catch let e as FoldError { throw error(e.message, n) }
            return
        }
        if n.opType == "Shape", let s = ctx.shapes[n.inputs.first ?? ""] ?? ctx.consts[n.inputs.first ?? ""]?.shape {
            let r = s.count
            var a = (try? n.int("start", 0)) ?? 0, b = (try? n.int("end", r)) ?? r
            if a < 0 { a += r }; if b < 0 { b += r }
            a = min(max(a, 0), r); b = min(max(b, a), r)
            ctx.consts[out] = ConstValue(shape: [b - a], ints: s[a..<b].map { Int64($0) })
            return
        }
        for extra in n.outputs.dropFirst() where !extra.isEmpty && (consumers[extra] ?? 0) > 0 {
            throw error("output \(extra) (beyond the first) is used, which is not supported", n)
        }
        if n.opType == "BatchNormalization" { return try batchNorm(n, out) }
        let operands = n.inputs.filter { !$0.isEmpty }
        if n.opType == "Sum" || n.opType == "Max", operands.count > 2 {
            // A chain of two-input Adds / Maxes.
            var acc = operands[0]
            for (k, b) in operands.dropFirst().enumerated() {
                let last = k == operands.count - 2
                let o = last ? out : out + "::\(n.opType.lowercased())\(k)"
                let name = (n.name.isEmpty ? out : n.name) + (last ? "" : "::\(k)")
                try append(Node(name: name, op: .binary(n.opType == "Max" ? .max : .add), inputs: [acc, b], output: o), from: n)
                acc = o
            }
            return
        }
        let (op, ins): (Op, [String])
        do { (op, ins) = try ctx.lower(n) } catch is UnsupportedOp {
            throw error("unsupported op \(n.opType)", n)
        } catch let e as FoldError {
            throw error("bad attribute or input: \(e.message)", n)
        }
        try append(Node(name: n.name.isEmpty ? out : n.name, op: op, inputs: ins, output: out), from: n)
    }

    mutating func append(_ node: Node, from n: NodeMsg) throws {
        let shapes = node.inputs.map { ctx.shape($0) ?? [] }
        do { ctx.shapes[node.output] = try inferOutputShape(node.op, inputs: shapes) } catch {
            throw self.error("bad attribute or shape: \(error) (input shapes \(shapes))", n)
        }
        nodes.append(node)
        origin[node.output] = n
    }

    mutating func batchNorm(_ n: NodeMsg, _ out: String) throws {
        let x = n.inputs.first ?? ""
        func c(_ i: Int, _ what: String) throws -> [Float] {
            guard i < n.inputs.count, let v = ctx.consts[n.inputs[i]] else { throw error("\(what) must be a constant", n) }
            return v.floats
        }
        let gamma = try c(1, "scale"), beta = try c(2, "bias"), mean = try c(3, "mean"), variance = try c(4, "variance")
        let eps = (try? n.float("epsilon", 1e-5)) ?? 1e-5
        let ch = gamma.count
        guard beta.count == ch, mean.count == ch, variance.count == ch, let xs = ctx.shapes[x], xs.count >= 2, xs[1] == ch else {
            throw error("parameters of \(ch) channels do not match input \(ctx.shapes[x] ?? [])", n)
        }
        let scale = (0..<ch).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
        let shift = (0..<ch).map { beta[$0] - mean[$0] * scale[$0] }
        // Fold into the producing Conv when the BN is its only consumer.
        if let k = nodes.lastIndex(where: { $0.output == x }), case .conv = nodes[k].op, (consumers[x] ?? 0) == 1,
           let w = ctx.consts[nodes[k].inputs[1]], w.shape.count == 4, w.shape[0] == ch {
            var wd = w.floats
            let per = wd.count / ch
            for o in 0..<ch { for j in 0..<per { wd[o * per + j] *= scale[o] } }
            let b0 = nodes[k].inputs.count > 2 ? (ctx.consts[nodes[k].inputs[2]]?.floats ?? []) : [Float](repeating: 0, count: ch)
            guard b0.count == ch else { throw error("conv bias does not match \(ch) channels", n) }
            let bias = (0..<ch).map { b0[$0] * scale[$0] + shift[$0] }
            let wn = out + "::folded_weight", bn = out + "::folded_bias"
            ctx.consts[wn] = ConstValue(shape: w.shape, floats: wd)
            ctx.consts[bn] = ConstValue(shape: [ch], floats: bias)
            nodes[k].inputs = [nodes[k].inputs[0], wn, bn]
            nodes[k].output = out
            ctx.shapes[out] = ctx.shapes[x]
            ctx.shapes[x] = nil
            origin[x] = nil
            origin[out] = n
            return
        }
        let sn = out + "::bn_scale", hn = out + "::bn_shift"
        ctx.consts[sn] = ConstValue(shape: [ch], floats: scale)
        ctx.consts[hn] = ConstValue(shape: [ch], floats: shift)
        try append(Node(name: n.name.isEmpty ? out : n.name, op: .batchNorm, inputs: [x, sn, hn], output: out), from: n)
    }
}
