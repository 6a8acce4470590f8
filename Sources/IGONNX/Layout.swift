import IGEngine

/// Canonicalising activations to NCHW at import time.
///
/// Exporters from channels-last frameworks (tf2onnx, Caffe/Keras via other
/// converters) write NHWC tensors: an NHWC graph input, and Transposes
/// around every NCHW Conv with the element-wise ops in between running on
/// NHWC data. This pass sinks those Transposes: every tensor is stored
/// ("physically") in NCHW order, and each ONNX ("logical") tensor name maps
/// to a physical tensor plus the permutation that would give the logical
/// one (`logical = transpose(physical, perm)`). Layout-neutral ops (unary
/// activations, Identity/Cast/Dropout, broadcasting arithmetic with a
/// constant or with a tensor of the same permutation, Pad, ReduceMean,
/// Softmax, Concat) are rewritten to run on the physical tensor with their
/// axes/constants permuted; Transpose pairs cancel. Any other consumer of a
/// permuted tensor gets an explicit Transpose node ("materialised"), so the
/// graph's values never change meaning. It runs only for NHWC inputs: graphs
/// fed NCHW (torch exports) pass through untouched: same nodes, same names.
struct LayoutPass {
    struct Phys { var name: String; var perm: [Int]? }

    var consts: [String: ConstValue]
    var nodes: [Node] = []
    /// Logical name -> physical tensor (and permutation).
    var phys: [String: Phys] = [:]
    /// Logical name of a permuted tensor -> the name of its materialised Transpose.
    var materialised: [String: String] = [:]
    var used: Set<String> = []

    init(consts: [String: ConstValue]) { self.consts = consts }

    static func isIdentity(_ p: [Int]) -> Bool { p == Array(0..<p.count) }

    static func inverse(_ p: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: p.count)
        for (i, v) in p.enumerated() { inv[v] = i }
        return inv
    }

    func resolve(_ logical: String) -> Phys { phys[logical] ?? Phys(name: logical, perm: nil) }

    /// The name of a tensor holding `logical` in its own (logical) layout,
    /// emitting a Transpose the first time a permuted tensor needs one.
    mutating func plain(_ logical: String) -> String {
        let p = resolve(logical)
        guard let perm = p.perm else { return p.name }
        if let m = materialised[logical] { return m }
        var name = logical
        if used.contains(name) || consts[name] != nil { name = logical + "::transposed" }
        var k = 2
        while used.contains(name) { name = logical + "::transposed\(k)"; k += 1 }
        emit(Node(name: name, op: .transpose(perm: perm), inputs: [p.name], output: name))
        materialised[logical] = name
        return name
    }

    mutating func emit(_ node: Node) {
        nodes.append(node)
        used.insert(node.output)
    }

    /// A constant operand of a binary op whose other operand is stored with
    /// `perm`: the same values laid out for the physical tensor, or nil when
    /// its rank exceeds the permutation's.
    mutating func permutedConstant(_ name: String, perm: [Int]) -> String? {
        guard let c = consts[name], c.shape.count <= perm.count else { return nil }
        if c.shape.allSatisfy({ $0 == 1 }) { return name }
        let r = perm.count
        let padded = [Int](repeating: 1, count: r - c.shape.count) + c.shape
        // physical' = transpose(padded, inverse(perm)) so that transpose(physical', perm) == padded.
        let inv = Self.inverse(perm)
        let outShape = inv.map { padded[$0] }
        let src = c.floats
        let inStrides = rowStrides(padded)
        var out = [Float](repeating: 0, count: src.count)
        var coord = [Int](repeating: 0, count: r)
        for i in 0..<out.count {
            var off = 0
            for d in 0..<r { off += coord[d] * inStrides[inv[d]] }
            out[i] = src[off]
            var d = r - 1
            while d >= 0 { coord[d] += 1; if coord[d] < outShape[d] { break }; coord[d] = 0; d -= 1 }
        }
        let newName = name + "::perm" + perm.map(String.init).joined()
        if consts[newName] == nil { consts[newName] = ConstValue(shape: outShape, floats: out) }
        return newName
    }

    /// Rewrites one lowered node.
    mutating func add(_ node: Node) {
        let ins = node.inputs.map { resolve($0) }
        if case .transpose(let q) = node.op, ins.count == 1, q.count == ins[0].perm?.count ?? q.count {
            // A Transpose is a change of view: no node, unless a consumer needs it materialised.
            let r = ins[0].perm.map { p in q.map { p[$0] } } ?? q
            phys[node.output] = Phys(name: ins[0].name, perm: Self.isIdentity(r) ? nil : r)
            return
        }
        let permuted = ins.compactMap(\.perm)
        guard let p = permuted.first else {
            // Nothing permuted: as it was (inputs may have been renamed by cancelled Transposes).
            emitPlain(node, inputs: ins.map(\.name))
            return
        }
        let x = ins[0]
        switch node.op {
        case .identity where x.perm != nil:
            phys[node.output] = x
            return
        case .unary:
            return emitPermuted(node, op: node.op, inputs: [x.name], perm: p)
        case .binary, .prelu:
            var names = [String]()
            for (k, i) in ins.enumerated() {
                if let q = i.perm, q == p { names.append(i.name) }
                else if i.perm == nil, let c = permutedConstant(node.inputs[k], perm: p) { names.append(c) }
                else { return emitPlain(node, inputs: node.inputs.map { plain($0) }) }
            }
            return emitPermuted(node, op: node.op, inputs: names, perm: p)
        case .pad(let pads, let value) where x.perm != nil && pads.count == 2 * p.count:
            let r = p.count
            var q = [Int](repeating: 0, count: 2 * r)
            for i in 0..<r { q[p[i]] = pads[i]; q[p[i] + r] = pads[i + r] }
            return emitPermuted(node, op: .pad(pads: q, value: value), inputs: [x.name], perm: p)
        case .padBorder(let pads, let reflect) where x.perm != nil && pads.count == 2 * p.count:
            let r = p.count
            var q = [Int](repeating: 0, count: 2 * r)
            for i in 0..<r { q[p[i]] = pads[i]; q[p[i] + r] = pads[i + r] }
            return emitPermuted(node, op: .padBorder(pads: q, reflect: reflect), inputs: [x.name], perm: p)
        case .softmax(let axis) where x.perm != nil:
            return emitPermuted(node, op: .softmax(axis: p[axis]), inputs: [x.name], perm: p)
        case .logSoftmax(let axis) where x.perm != nil:
            return emitPermuted(node, op: .logSoftmax(axis: p[axis]), inputs: [x.name], perm: p)
        case .reduceMean(let axes, let keep) where x.perm != nil:
            let q = axes.map { p[$0] }.sorted()
            if keep { return emitPermuted(node, op: .reduceMean(axes: q, keepDims: true), inputs: [x.name], perm: p) }
            let kept = (0..<p.count).filter { !axes.contains($0) }.map { p[$0] }
            let order = kept.sorted()
            let r = kept.map { order.firstIndex(of: $0)! }
            return emitPermuted(node, op: .reduceMean(axes: q, keepDims: false), inputs: [x.name],
                                perm: Self.isIdentity(r) ? nil : r)
        case .concat(let axis) where ins.allSatisfy({ $0.perm == p }):
            return emitPermuted(node, op: .concat(axis: p[axis]), inputs: ins.map(\.name), perm: p)
        case .conv, .batchNorm, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool, .lrn, .flatten, .reshape, .squeeze,
             .unsqueeze, .transpose, .gemm, .matMul, .concat, .softmax, .logSoftmax, .identity, .pad, .padBorder, .reduceMean:
            return emitPlain(node, inputs: node.inputs.map { plain($0) })
        }
    }

    mutating func emitPlain(_ node: Node, inputs: [String]) {
        var n = node
        n.inputs = inputs
        emit(n)
        phys[node.output] = nil
    }

    mutating func emitPermuted(_ node: Node, op: Op, inputs: [String], perm: [Int]?) {
        emit(Node(name: node.name, op: op, inputs: inputs, output: node.output))
        phys[node.output] = Phys(name: node.output, perm: perm)
    }
}

extension Import {
    /// Runs `LayoutPass` over the lowered nodes. `nhwcInput`: the graph input
    /// is NHWC (logical), stored NCHW (physical) under the same name.
    mutating func canonicaliseLayout(input: String, nhwcInput: Bool, output: String) -> (output: String, changed: Bool) {
        // Only for channels-last inputs: a graph fed NCHW (every torch export) stays exactly as it was,
        // Transposes included.
        guard nhwcInput else { return (output, false) }
        var pass = LayoutPass(consts: ctx.consts)
        pass.used.insert(input)
        if nhwcInput { pass.phys[input] = LayoutPass.Phys(name: input, perm: [0, 2, 3, 1]) }
        for n in nodes { pass.add(n) }
        let out = pass.plain(output)
        nodes = pass.nodes
        ctx.consts = pass.consts
        return (out, true)
    }
}
