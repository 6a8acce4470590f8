import CDNNL
import Foundation
import IGEngine

/// The post-op argument index of binary post-op 0 (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1).
let postOp0Src1: Int32 = 16384 | 2

/// The oneDNN binary algorithm of an arithmetic op (nil: the reference runs it).
func binaryAlg(_ op: BinaryOp) -> dnnl_alg_kind_t? {
    switch op {
    case .add: return dnnl_binary_add
    case .sub: return dnnl_binary_sub
    case .mul: return dnnl_binary_mul
    case .div: return dnnl_binary_div
    // oneDNN has a binary max, but ties would need the reference's rule in the backward.
    case .max: return nil
    }
}

/// Add/Sub/Mul/Div where one operand has the output's shape and the other
/// broadcasts over it (oneDNN's src1 broadcasting); either may be constant.
final class BinaryStep: Step {
    let node: Node
    let op: BinaryOp
    let fwd: Prim
    /// Input index feeding src0 (full shape) and src1.
    let full: Int, other: Int
    let src0MD: MD, src1MD: MD
    let outShape: [Int]
    let shapes: [[Int]]
    let constant1: DMem?
    /// Add, and Sub, pass the gradient through when no operand broadcasts.
    var passThrough: Bool {
        switch op {
        case .add, .sub: return shapes[0] == outShape && shapes[1] == outShape
        case .mul, .div, .max: return false
        }
    }
    var backwardReadsInputs: Bool { !passThrough }
    var backwardReadsOutput: Bool { !passThrough || activation != .none }
    /// A ReLU/Clip fused after an Add (a oneDNN eltwise post-op).
    let activation: Activation
    private let activationBackward: FusedActivationBackward

    init(_ node: Node, _ op: BinaryOp, ctx: RunContext, activation: Activation = .none) throws {
        self.node = node
        self.op = op
        self.activation = activation
        activationBackward = FusedActivationBackward(activation)
        guard node.inputs.count == 2 else { throw NotNative("expected 2 inputs") }
        guard let alg = binaryAlg(op) else { throw NotNative("no oneDNN algorithm for \(op.name)") }
        func shape(_ name: String) throws -> [Int] {
            if let v = ctx.values[name] { return v.dims }
            if let c = ctx.graph.constants[name] { return c.shape }
            throw NotNative("tensor '\(name)' is not available")
        }
        let s = try node.inputs.map(shape)
        shapes = s
        let r = max(s[0].count, s[1].count)
        let padded = s.map { [Int](repeating: 1, count: r - $0.count) + $0 }
        var out = [Int]()
        for i in 0..<r {
            let a = padded[0][i], b = padded[1][i]
            guard a == b || a == 1 || b == 1 else { throw NotNative("cannot broadcast \(s[0]) and \(s[1])") }
            out.append(max(a, b))
        }
        outShape = out
        if activation != .none && !(s[0] == out && s[1] == out) {
            throw NotNative("a fused activation needs operands of the output's shape")
        }
        let commutes = alg == dnnl_binary_add || alg == dnnl_binary_mul
        if s[0] == out { full = 0; other = 1 } else if s[1] == out && commutes { full = 1; other = 0 } else {
            throw NotNative("broadcasting the first operand is left to the reference")
        }
        guard !ctx.graph.constants.keys.contains(node.inputs[full]) else { throw NotNative("constant-only operands") }
        let m0 = try ctx.value(node.inputs[full])
        src0MD = m0.md
        if let c = ctx.graph.constants[node.inputs[other]] {
            let pm = try DMem.from(c.reshaped(padded[other]))
            constant1 = pm
            src1MD = padded[other] == out ? src0MD : pm.md
        } else {
            guard s[other].count == r else { throw NotNative("rank-broadcast activations are left to the reference") }
            constant1 = nil
            src1MD = s[other] == out ? src0MD : try plainMD(s[other])
        }
        var a = src0MD, b = src1MD, dst = src0MD
        var d = dnnl_binary_desc_t()
        try check(dnnl_binary_desc_init(&d, alg, &a, &b, &dst), "binary descriptor")
        let post = fusedActivation(activation).map { ($0.alg, $0.alpha, $0.beta) }
        let attr = try Attr(postEltwise: post)
        fwd = try withExtendedLifetime(attr) { try Prim(d, attr: attr.attr, "binary") }
    }

    func forward(_ ctx: RunContext) throws {
        let a = try convert(try ctx.value(node.inputs[full]), to: src0MD, ctx.stream)
        let b = try convert(try constant1 ?? ctx.value(node.inputs[other]), to: src1MD, ctx.stream)
        let y = try DMem(src0MD)
        try fwd.execute(ctx.stream, [(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, y)], "binary")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy dyOut: DMem, wrt: Int) throws -> DMem {
        // Through the fused activation first (from the output), then the op.
        var dy = dyOut
        if activation != .none {
            dy = try activationBackward.run(y: try ctx.value(node.output), dy: dyOut, ctx.stream)
        }
        // Add (and Sub's first operand) pass the gradient through unchanged.
        if shapes[wrt] == outShape {
            switch op {
            case .add: return dy
            case .sub where wrt == 0: return dy
            case .sub:
                let out = try DMem(dy.md)
                let n = dy.floatCount, s = dy.floats, t = out.floats
                for i in 0..<n { t[i] = -s[i] }
                return out
            case .mul, .div, .max: break
            }
        }
        return try referenceBackward(node, ctx, dy: dy, wrt: wrt)
    }
}

/// Inference batch norm leftovers: y = x * scale[c] + shift[c] as one binary
/// multiply with a binary-add post-op, in the input's layout.
final class BatchNormStep: Step {
    let node: Node
    let fwd: Prim
    let md: MD
    let scale: DMem, shift: DMem
    var backwardReadsInputs: Bool { false }
    var backwardReadsOutput: Bool { false }
    private let lock = NSLock()
    private var bwd: Prim?

    init(_ node: Node, x: DMem, graph: Graph) throws {
        self.node = node
        guard node.inputs.count == 3, let s = graph.constants[node.inputs[1]], let t = graph.constants[node.inputs[2]] else {
            throw NotNative("scale and shift must be constants")
        }
        let xs = x.dims
        guard xs.count >= 2, s.count == xs[1], t.count == xs[1] else { throw NotNative("channel count mismatch") }
        let cshape = [1, xs[1]] + [Int](repeating: 1, count: xs.count - 2)
        scale = try DMem.from(s.reshaped(cshape))
        shift = try DMem.from(t.reshaped(cshape))
        md = x.md
        let attr = try Attr(postEltwise: nil)
        var po: OpaquePointer?
        try check(dnnl_post_ops_create(&po), "post-ops creation")
        defer { dnnl_post_ops_destroy(po) }
        var smd = shift.md
        try check(dnnl_post_ops_append_binary(po, dnnl_binary_add, &smd), "binary post-op")
        try check(dnnl_primitive_attr_set_post_ops(attr.attr, po), "setting post-ops")
        var a = md, b = scale.md, dst = md
        var d = dnnl_binary_desc_t()
        try check(dnnl_binary_desc_init(&d, dnnl_binary_mul, &a, &b, &dst), "binary descriptor")
        fwd = try Prim(d, attr: attr.attr, "batch-norm binary")
    }

    func forward(_ ctx: RunContext) throws {
        let x = try convert(try ctx.value(node.inputs[0]), to: md, ctx.stream)
        let y = try DMem(md)
        try fwd.execute(ctx.stream, [(DNNL_ARG_SRC_0, x), (DNNL_ARG_SRC_1, scale), (postOp0Src1, shift), (DNNL_ARG_DST, y)],
                        "batch-norm binary")
        ctx.values[node.output] = y
    }

    func backward(_ ctx: RunContext, dy: DMem, wrt: Int) throws -> DMem {
        guard wrt == 0 else { throw EngineError("no gradient with respect to input \(wrt)") }
        let p: Prim = try {
            lock.lock()
            defer { lock.unlock() }
            if let bwd { return bwd }
            var a = md, b = scale.md, dst = md
            var d = dnnl_binary_desc_t()
            try check(dnnl_binary_desc_init(&d, dnnl_binary_mul, &a, &b, &dst), "binary descriptor")
            let p = try Prim(d, "batch-norm backward")
            bwd = p
            return p
        }()
        let d = try convert(dy, to: md, ctx.stream)
        let dx = try DMem(md)
        try p.execute(ctx.stream, [(DNNL_ARG_SRC_0, d), (DNNL_ARG_SRC_1, scale), (DNNL_ARG_DST, dx)], "batch-norm backward")
        return dx
    }
}
