import IGEngine

/// Turning one ONNX node (whose non-constant inputs have known shapes) into
/// an engine `Op` plus its input tensor names. Attribute-like inputs
/// (shapes, pads, axes, clip bounds) are read as constants and dropped.
struct LoweringContext {
    var opset: Int
    var consts: [String: ConstValue]
    /// Full shapes (batch 1) of computed tensors.
    var shapes: [String: [Int]]

    func shape(_ name: String) -> [Int]? { shapes[name] ?? consts[name]?.shape }
}

/// Resolve ONNX auto_pad for one axis into (begin, end).
func autoPad(_ mode: String, size: Int, kernel: Int, stride: Int, dilation: Int) throws -> (Int, Int)? {
    switch mode {
    case "NOTSET": return nil
    case "VALID": return (0, 0)
    case "SAME_UPPER", "SAME_LOWER":
        let out = (size + stride - 1) / stride
        let total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size)
        let small = total / 2
        return mode == "SAME_UPPER" ? (small, total - small) : (total - small, small)
    default: throw FoldError(message: "unknown auto_pad '\(mode)'")
    }
}

extension LoweringContext {
    func input(_ n: NodeMsg, _ i: Int) throws -> String {
        guard i < n.inputs.count, !n.inputs[i].isEmpty else { throw FoldError(message: "missing input \(i)") }
        return n.inputs[i]
    }

    func optionalInput(_ n: NodeMsg, _ i: Int) -> String? {
        i < n.inputs.count && !n.inputs[i].isEmpty ? n.inputs[i] : nil
    }

    func constant(_ n: NodeMsg, _ i: Int, what: String) throws -> ConstValue {
        let name = try input(n, i)
        guard let c = consts[name] else { throw FoldError(message: "\(what) ('\(name)') must be a constant") }
        return c
    }

    func optionalConstant(_ n: NodeMsg, _ i: Int, what: String) throws -> ConstValue? {
        guard let name = optionalInput(n, i) else { return nil }
        guard let c = consts[name] else { throw FoldError(message: "\(what) ('\(name)') must be a constant") }
        return c
    }

    func rank(_ n: NodeMsg, _ i: Int = 0) throws -> [Int] {
        let name = try input(n, i)
        guard let s = shape(name) else { throw FoldError(message: "unknown shape of input '\(name)'") }
        return s
    }

    func scalar(_ c: ConstValue?, _ def: Float, what: String) throws -> Float {
        guard let c = c else { return def }
        guard c.count == 1 else { throw FoldError(message: "\(what) must have one element, has shape \(c.shape)") }
        return c.floats[0]
    }

    /// Window attributes shared by Conv and the pools: (strides, pads as top,left,bottom,right, dilations).
    func window(_ n: NodeMsg, kernel: [Int], input x: [Int]) throws -> ([Int], [Int], [Int]) {
        guard kernel.count == 2, x.count == 4 else {
            throw FoldError(message: "only 2-D windows on 4-D inputs are supported (kernel \(kernel), input \(x))")
        }
        let strides = try n.ints("strides") ?? [1, 1]
        let dil = try n.ints("dilations") ?? [1, 1]
        var pads = try n.ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, dil.count == 2, pads.count == 4,
              strides.allSatisfy({ $0 >= 1 && $0 < 1 << 20 }), dil.allSatisfy({ $0 >= 1 && $0 < 1 << 20 }),
              pads.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }), kernel.allSatisfy({ $0 >= 1 && $0 < 1 << 20 }) else {
            throw FoldError(message: "bad strides \(strides) / dilations \(dil) / pads \(pads) / kernel \(kernel)")
        }
        let mode = try n.string("auto_pad", "NOTSET")
        for a in 0..<2 {
            if let (b, e) = try autoPad(mode, size: x[2 + a], kernel: kernel[a], stride: strides[a], dilation: dil[a]) {
                pads[a] = b; pads[a + 2] = e
            }
        }
        return (strides, pads, dil)
    }

    /// The engine op and its input names for a non-foldable ONNX node.
    func lower(_ n: NodeMsg) throws -> (Op, [String]) {
        let x = try input(n, 0)
        switch n.opType {
        case "Conv":
            let w = try constant(n, 1, what: "Conv weight")
            guard w.shape.count == 4 else { throw FoldError(message: "only 2-D convolution is supported (weight \(w.shape))") }
            if let k = try n.ints("kernel_shape"), k != Array(w.shape[2...]) {
                throw FoldError(message: "kernel_shape \(k) does not match weight \(w.shape)")
            }
            let (s, p, d) = try window(n, kernel: Array(w.shape[2...]), input: try rank(n))
            let group = try n.int("group", 1)
            guard group >= 1 else { throw FoldError(message: "group \(group)") }
            var ins = [x, try input(n, 1)]
            if let b = optionalInput(n, 2) {
                guard consts[b] != nil else { throw FoldError(message: "Conv bias ('\(b)') must be a constant") }
                ins.append(b)
            }
            return (.conv(ConvAttributes(strides: s, pads: p, dilations: d, group: group)), ins)
        case "MaxPool", "AveragePool":
            guard let k = try n.ints("kernel_shape") else { throw FoldError(message: "missing kernel_shape") }
            let (s, p, d) = try window(n, kernel: k, input: try rank(n))
            let a = PoolAttributes(kernel: k, strides: s, pads: p, dilations: d, ceilMode: try n.int("ceil_mode", 0) != 0,
                                   countIncludePad: try n.int("count_include_pad", 0) != 0)
            return (n.opType == "MaxPool" ? .maxPool(a) : .averagePool(a), [x])
        case "GlobalAveragePool": return (.globalAveragePool, [x])
        case "GlobalMaxPool": return (.globalMaxPool, [x])
        case "PRelu":
            let slope = try input(n, 1)
            guard consts[slope] != nil else { throw FoldError(message: "PRelu slope ('\(slope)') must be a constant") }
            return (.prelu, [x, slope])
        case "LRN":
            let size = try n.int("size", 0)
            guard size >= 1, size < 1 << 16 else { throw FoldError(message: "LRN needs a size >= 1 (got \(size))") }
            return (.lrn(size: size, alpha: try n.float("alpha", 1e-4), beta: try n.float("beta", 0.75),
                         bias: try n.float("bias", 1)), [x])
        case "Max", "Sum":
            // Two inputs; Sum/Max of more are expanded into a chain by the importer.
            let ins = n.inputs.filter { !$0.isEmpty }
            if ins.count == 1 { return (.identity, [x]) }
            guard ins.count == 2 else { throw FoldError(message: "\(n.opType) of \(ins.count) inputs") }
            return (.binary(n.opType == "Max" ? .max : .add), ins)
        case "Flatten":
            return (.flatten(axis: try normAxis(try n.int("axis", 1), try rank(n).count + 1)), [x])
        case "Reshape":
            let target = opset < 5 ? (try n.ints("shape") ?? []) : try constant(n, 1, what: "Reshape shape").intValues
            let xs = try rank(n)
            let onnx = try resolveReshape(target, input: xs, allowZero: try n.int("allowzero", 0) != 0)
            let op = Op.reshape(shape: target)
            let engine = try? inferOutputShape(op, inputs: [xs])
            guard engine == onnx else {
                throw FoldError(message: "Reshape of \(xs) to \(target) does not keep the batch axis first")
            }
            return (op, [x])
        case "Gemm":
            var ins = [x, try input(n, 1)]
            if let c = optionalInput(n, 2) { ins.append(c) }
            return (.gemm(GemmAttributes(alpha: try n.float("alpha", 1), beta: try n.float("beta", 1),
                                         transA: try n.int("transA", 0) != 0, transB: try n.int("transB", 0) != 0)), ins)
        case "MatMul": return (.matMul, [x, try input(n, 1)])
        case "Concat":
            let ins = n.inputs.filter { !$0.isEmpty }
            return (.concat(axis: try normAxis(try n.int("axis", 0), try rank(n).count)), ins)
        case "Softmax":
            let r = try rank(n).count
            let axis = try normAxis(try n.int("axis", opset < 13 ? 1 : -1), r)
            if opset < 13 && axis != r - 1 {
                throw FoldError(message: "Softmax before opset 13 with axis \(axis) of a rank-\(r) input (coerced to 2-D) is not supported")
            }
            return (.softmax(axis: axis), [x])
        case "Dropout", "Identity": return (.identity, [x])
        case "Cast":
            // Computed tensors are float32: a cast to float32 or double keeps every value.
            let to = try n.int("to", 1)
            guard to == 1 || to == 11 else {
                throw FoldError(message: "Cast of a computed (float) tensor to \(dataTypeName(to)) is not supported")
            }
            return (.identity, [x])
        case "LogSoftmax":
            let r = try rank(n).count
            let axis = try normAxis(try n.int("axis", opset < 13 ? 1 : -1), r)
            if opset < 13 && axis != r - 1 {
                throw FoldError(message: "LogSoftmax before opset 13 with axis \(axis) of a rank-\(r) input (coerced to 2-D) is not supported")
            }
            return (.logSoftmax(axis: axis), [x])
        case "Pad":
            let mode = try n.string("mode", "constant")
            guard ["constant", "edge", "reflect"].contains(mode) else {
                throw FoldError(message: "Pad mode '\(mode)' is not supported (constant, edge and reflect are)")
            }
            let r = try rank(n).count
            var pads: [Int]
            var value: Float
            if opset < 11 {
                pads = try n.ints("pads") ?? []
                value = try n.float("value", 0)
            } else {
                pads = try constant(n, 1, what: "Pad pads").intValues
                value = try scalar(try optionalConstant(n, 2, what: "Pad value"), 0, what: "Pad value")
                if let axesC = try optionalConstant(n, 3, what: "Pad axes") {
                    let axes = try axesC.intValues.map { try normAxis($0, r) }
                    guard pads.count == 2 * axes.count else { throw FoldError(message: "\(pads.count) pads for axes \(axes)") }
                    var full = [Int](repeating: 0, count: 2 * r)
                    for (k, a) in axes.enumerated() { full[a] = pads[k]; full[a + r] = pads[k + axes.count] }
                    pads = full
                }
            }
            guard pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }) else {
                throw FoldError(message: "pads \(pads) for rank \(r) (negative pads are not supported)")
            }
            if mode != "constant" { return (.padBorder(pads: pads, reflect: mode == "reflect"), [x]) }
            return (.pad(pads: pads, value: value), [x])
        case "ReduceMean":
            let r = try rank(n).count
            let axesRaw = opset < 18 ? try n.ints("axes") : try optionalConstant(n, 1, what: "ReduceMean axes")?.intValues
            let keep = try n.int("keepdims", 1) != 0
            let noop = try n.int("noop_with_empty_axes", 0) != 0
            if (axesRaw ?? []).isEmpty && noop { return (.identity, [x]) }
            let axes = try (axesRaw ?? []).map { try normAxis($0, r) }
            return (.reduceMean(axes: axes.isEmpty ? Array(0..<r) : axes, keepDims: keep), [x])
        case "Squeeze":
            let s = try rank(n)
            let raw = opset < 13 ? try n.ints("axes") : try optionalConstant(n, 1, what: "Squeeze axes")?.intValues
            let axes = try raw.map { try $0.map { try normAxis($0, s.count) } } ?? s.indices.filter { $0 > 0 && s[$0] == 1 }
            return (.squeeze(axes: axes.sorted()), [x])
        case "Unsqueeze":
            let s = try rank(n)
            let raw = opset < 13 ? try n.ints("axes") : try optionalConstant(n, 1, what: "Unsqueeze axes")?.intValues
            guard let r = raw, !r.isEmpty else { throw FoldError(message: "Unsqueeze without axes") }
            return (.unsqueeze(axes: try r.map { try normAxis($0, s.count + r.count) }.sorted()), [x])
        case "Transpose":
            let r = try rank(n).count
            return (.transpose(perm: try n.ints("perm") ?? Array((0..<r).reversed())), [x])
        default:
            // Activations and arithmetic: one case each in `UnaryOp.Kind` / `BinaryOp`, named as in ONNX.
            if let kind = UnaryOp.Kind(rawValue: n.opType) { return (.unary(try unary(kind, n)), [x]) }
            if let op = BinaryOp(rawValue: n.opType) { return (.binary(op), [x, try input(n, 1)]) }
            throw UnsupportedOp()
        }
    }

    /// An activation with its attributes read (and defaulted) as ONNX defines them.
    func unary(_ kind: UnaryOp.Kind, _ n: NodeMsg) throws -> UnaryOp {
        switch kind {
        case .relu: return .relu
        case .sigmoid: return .sigmoid
        case .hardSwish: return .hardSwish
        case .leakyRelu: return .leakyRelu(alpha: try n.float("alpha", 0.01))
        case .hardSigmoid: return .hardSigmoid(alpha: try n.float("alpha", 0.2), beta: try n.float("beta", 0.5))
        case .elu: return .elu(alpha: try n.float("alpha", 1))
        case .clip:
            if opset < 11 {
                return .clip(min: try n.float("min", -.infinity), max: try n.float("max", .infinity))
            }
            let lo = try scalar(try optionalConstant(n, 1, what: "Clip min"), -.infinity, what: "Clip min")
            let hi = try scalar(try optionalConstant(n, 2, what: "Clip max"), .infinity, what: "Clip max")
            return .clip(min: lo, max: hi)
        }
    }
}

struct UnsupportedOp: Error {}
