/// Static shape inference for the engine's ops, used by importers at load
/// time and by executors. Shapes here are FULL shapes (with the batch axis).

/// A shape mismatch or an attribute that does not fit its input.
public struct ShapeError: Error, CustomStringConvertible, Sendable {
    /// The op (as ONNX spells it).
    public var op: String
    public var message: String
    /// The node, when known (set by `Graph.inferShapes`).
    public var node: String?

    public init(op: String, message: String, node: String? = nil) {
        self.op = op; self.message = message; self.node = node
    }

    public var description: String {
        if let node = node { return "shape error at node '\(node)' (\(op)): \(message)" }
        return "shape error in \(op): \(message)"
    }
}

/// Numpy broadcasting of two shapes, or nil if they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        guard x == y || x == 1 || y == 1 else { return nil }
        out[i] = x == 1 ? y : x
    }
    return out
}

/// Output extent of a pooled/convolved axis.
func windowOutput(_ size: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int, ceil: Bool) -> Int {
    let eff = (kernel - 1) * dilation + 1
    let span = size + padBegin + padEnd - eff
    if span < 0 { return 0 }
    var out = (ceil ? (span + stride - 1) / stride : span / stride) + 1
    // The last window must start inside the input or the begin padding.
    if ceil && (out - 1) * stride >= size + padBegin { out -= 1 }
    return out
}

/// The output shape of `op` for input shapes `inputs` (full shapes, with batch;
/// constant operands included in node-input order).
public func inferOutputShape(_ op: Op, inputs: [[Int]]) throws -> [Int] {
    func fail(_ m: String) -> ShapeError { ShapeError(op: op.name, message: m) }
    func need(_ n: Int) throws {
        guard inputs.count >= n else { throw fail("needs \(n) inputs, got \(inputs.count)") }
    }
    func axis(_ a: Int, _ rank: Int) throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < rank else { throw fail("axis \(a) out of range for rank \(rank)") }
        return r
    }
    func count(_ s: [Int]) throws -> Int {
        var n = 1
        for d in s {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p < 1 << 48 else { throw fail("shape \(s) is too large") }
            n = p
        }
        return n
    }
    func small(_ v: [Int]) -> Bool { v.allSatisfy { abs($0) < 1 << 24 } }
    try need(1)
    let x = inputs[0]
    for s in inputs {
        guard s.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw fail("dimension out of range in \(s)") }
        _ = try count(s)
    }
    switch op {
    case .conv(let a):
        try need(2)
        let w = inputs[1]
        guard x.count == 4, w.count == 4 else { throw fail("expects 4-D input and weight, got \(x) and \(w)") }
        guard a.strides.count == 2, a.pads.count == 4, a.dilations.count == 2, a.group >= 1, a.group < 1 << 24,
              small(a.strides), small(a.pads), small(a.dilations),
              a.strides.allSatisfy({ $0 >= 1 }), a.dilations.allSatisfy({ $0 >= 1 }), a.pads.allSatisfy({ $0 >= 0 }) else {
            throw fail("bad attributes \(a)")
        }
        guard w[1] * a.group == x[1], w[0] % a.group == 0 else {
            throw fail("input has \(x[1]) channels but weight \(w) with group \(a.group) expects \(w[1] * a.group)")
        }
        if inputs.count > 2 {
            guard try count(inputs[2]) == w[0] else { throw fail("bias \(inputs[2]) does not match \(w[0]) output channels") }
        }
        let h = windowOutput(x[2], kernel: w[2], stride: a.strides[0], padBegin: a.pads[0], padEnd: a.pads[2], dilation: a.dilations[0], ceil: false)
        let ww = windowOutput(x[3], kernel: w[3], stride: a.strides[1], padBegin: a.pads[1], padEnd: a.pads[3], dilation: a.dilations[1], ceil: false)
        guard h > 0, ww > 0 else { throw fail("kernel \(w[2])x\(w[3]) does not fit input \(x)") }
        return [x[0], w[0], h, ww]
    case .batchNorm:
        try need(3)
        guard x.count >= 2 else { throw fail("expects at least 2-D input, got \(x)") }
        guard try count(inputs[1]) == x[1], try count(inputs[2]) == x[1] else {
            throw fail("scale \(inputs[1]) / shift \(inputs[2]) do not match \(x[1]) channels")
        }
        return x
    case .unary, .identity:
        return x
    case .prelu:
        try need(2)
        guard broadcastShape(x, inputs[1]) == x else { throw fail("slope \(inputs[1]) does not broadcast to \(x)") }
        return x
    case .lrn(let size, _, _, _):
        guard x.count >= 3, size >= 1, size < 1 << 16 else { throw fail("expects N, C, ... input and size >= 1, got \(x), size \(size)") }
        return x
    case .binary:
        try need(2)
        guard let s = broadcastShape(x, inputs[1]) else { throw fail("shapes \(x) and \(inputs[1]) do not broadcast") }
        return s
    case .maxPool(let a), .averagePool(let a):
        guard x.count == 4 else { throw fail("expects 4-D input, got \(x)") }
        guard a.kernel.count == 2, a.strides.count == 2, a.pads.count == 4, a.dilations.count == 2,
              small(a.kernel), small(a.strides), small(a.pads), small(a.dilations),
              a.kernel.allSatisfy({ $0 >= 1 }), a.strides.allSatisfy({ $0 >= 1 }), a.dilations.allSatisfy({ $0 >= 1 }),
              a.pads.allSatisfy({ $0 >= 0 }) else { throw fail("bad attributes \(a)") }
        guard a.pads[0] < a.kernel[0] * a.dilations[0], a.pads[2] < a.kernel[0] * a.dilations[0],
              a.pads[1] < a.kernel[1] * a.dilations[1], a.pads[3] < a.kernel[1] * a.dilations[1] else {
            throw fail("padding \(a.pads) not smaller than kernel \(a.kernel)")
        }
        let h = windowOutput(x[2], kernel: a.kernel[0], stride: a.strides[0], padBegin: a.pads[0], padEnd: a.pads[2], dilation: a.dilations[0], ceil: a.ceilMode)
        let w = windowOutput(x[3], kernel: a.kernel[1], stride: a.strides[1], padBegin: a.pads[1], padEnd: a.pads[3], dilation: a.dilations[1], ceil: a.ceilMode)
        guard h > 0, w > 0 else { throw fail("kernel \(a.kernel) does not fit input \(x)") }
        return [x[0], x[1], h, w]
    case .globalAveragePool, .globalMaxPool:
        guard x.count >= 3 else { throw fail("expects at least 3-D input, got \(x)") }
        return [x[0], x[1]] + Array(repeating: 1, count: x.count - 2)
    case .flatten(let ax):
        let a = try axis(ax, x.count + 1)
        return [try count(Array(x[..<a])), try count(Array(x[a...]))]
    case .reshape(let target):
        guard !x.isEmpty, !target.isEmpty, target.allSatisfy({ abs($0) < 1 << 31 }) else {
            throw fail("cannot keep the batch axis of \(x) with target \(target)")
        }
        let item = try count(Array(x.dropFirst()))
        var rest = Array(target.dropFirst())
        var minus = -1
        for (i, t) in rest.enumerated() {
            if t == 0 {
                guard i + 1 < x.count else { throw fail("0 at axis \(i + 1) of \(target) is past input rank \(x.count)") }
                rest[i] = x[i + 1]
            } else if t == -1 {
                guard minus < 0 else { throw fail("two -1 in \(target)") }
                minus = i
            } else if t < 0 { throw fail("negative size in \(target)") }
        }
        if minus >= 0 {
            let known = try count(rest.enumerated().filter { $0.offset != minus }.map { $0.element })
            guard known > 0, item % known == 0 else { throw fail("cannot reshape \(x) to \(target)") }
            rest[minus] = item / known
        }
        guard try count(rest) == item else { throw fail("cannot reshape \(x) to \(target) per item") }
        return [x[0]] + rest
    case .squeeze(let axes):
        let ax = try Set(axes.map { try axis($0, x.count) })
        for a in ax where x[a] != 1 { throw fail("cannot squeeze axis \(a) of size \(x[a]) in \(x)") }
        return x.enumerated().filter { !ax.contains($0.offset) }.map { $0.element }
    case .unsqueeze(let axes):
        let r = x.count + axes.count
        let ax = try axes.map { try axis($0, r) }.sorted()
        guard Set(ax).count == ax.count else { throw fail("repeated axes \(axes)") }
        var s = x
        for a in ax { s.insert(1, at: a) }
        return s
    case .transpose(let perm):
        guard perm.sorted() == Array(0..<x.count) else { throw fail("perm \(perm) does not fit rank \(x.count)") }
        return perm.map { x[$0] }
    case .gemm(let a):
        try need(2)
        let b = inputs[1]
        guard x.count == 2, b.count == 2 else { throw fail("expects 2-D A and B, got \(x) and \(b)") }
        let (m, k) = a.transA ? (x[1], x[0]) : (x[0], x[1])
        let (k2, n) = a.transB ? (b[1], b[0]) : (b[0], b[1])
        guard k == k2 else { throw fail("inner sizes differ: A \(x) B \(b) (transA \(a.transA), transB \(a.transB))") }
        if inputs.count > 2 {
            guard let c = broadcastShape(inputs[2], [m, n]), c == [m, n] else { throw fail("C \(inputs[2]) does not broadcast to [\(m), \(n)]") }
        }
        return [m, n]
    case .matMul:
        try need(2)
        var a = x, b = inputs[1]
        guard !a.isEmpty, !b.isEmpty else { throw fail("scalar operand") }
        let aVec = a.count == 1, bVec = b.count == 1
        if aVec { a = [1] + a }
        if bVec { b = b + [1] }
        guard a[a.count - 1] == b[b.count - 2] else { throw fail("inner sizes differ: \(x) x \(inputs[1])") }
        guard let batch = broadcastShape(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
            throw fail("batch axes of \(x) and \(inputs[1]) do not broadcast")
        }
        var out = batch
        if !aVec { out.append(a[a.count - 2]) }
        if !bVec { out.append(b[b.count - 1]) }
        return out
    case .concat(let ax):
        let a = try axis(ax, x.count)
        var out = x
        for s in inputs.dropFirst() {
            guard s.count == x.count, s.indices.allSatisfy({ $0 == a || s[$0] == x[$0] }) else {
                throw fail("shapes \(inputs) differ off axis \(a)")
            }
            out[a] += s[a]
        }
        return out
    case .softmax(let ax), .logSoftmax(let ax):
        _ = try axis(ax, x.count)
        return x
    case .pad(let pads, _), .padBorder(let pads, _):
        guard pads.count == 2 * x.count, small(pads) else { throw fail("pads \(pads) do not fit rank \(x.count)") }
        if case .padBorder(_, true) = op {
            for d in x.indices where pads[d] >= x[d] || pads[d + x.count] >= x[d] {
                throw fail("reflect pads \(pads) must be smaller than the input \(x) on every axis")
            }
        }
        let out = x.indices.map { x[$0] + pads[$0] + pads[$0 + x.count] }
        guard out.allSatisfy({ $0 > 0 }) else { throw fail("pads \(pads) empty the tensor \(x)") }
        return out
    case .reduceMean(let axes, let keep):
        let ax = try Set(axes.isEmpty ? Array(0..<x.count) : axes.map { try axis($0, x.count) })
        if keep { return x.indices.map { ax.contains($0) ? 1 : x[$0] } }
        return x.indices.filter { !ax.contains($0) }.map { x[$0] }
    }
}

extension Graph {
    /// Fill `shapes` with the per-item shape (batch axis dropped) of the input
    /// and of every node output, inferring with batch 1 from `inputShape`.
    /// Constants keep their own (full) shapes and are not entered.
    public mutating func inferShapes() throws {
        var full: [String: [Int]] = [input: [1] + inputShape]
        var out: [String: [Int]] = [input: inputShape]
        for node in nodes {
            var ins = [[Int]]()
            for name in node.inputs {
                if let s = full[name] { ins.append(s) }
                else if let c = constants[name] { ins.append(c.shape) }
                else {
                    throw ShapeError(op: node.op.name, message: "input '\(name)' is neither computed earlier nor a constant", node: node.name)
                }
            }
            do {
                let s = try inferOutputShape(node.op, inputs: ins)
                guard !s.isEmpty else {
                    throw ShapeError(op: node.op.name, message: "output lost the batch axis (inputs \(ins))")
                }
                full[node.output] = s
                out[node.output] = Array(s.dropFirst())
            } catch var e as ShapeError {
                e.node = node.name
                throw e
            }
        }
        shapes = out
    }
}
