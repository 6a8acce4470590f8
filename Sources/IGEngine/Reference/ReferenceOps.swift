/// The reference backend, one op at a time: the obviously-right definition
/// that the fast backend is held to. Inputs are in node order, constants
/// included.
public enum ReferenceOps {
    public static func forward(_ op: Op, _ x: [Tensor]) throws -> Tensor {
        func arg(_ i: Int) throws -> Tensor {
            guard i < x.count else { throw EngineError("\(op.name): missing input \(i)") }
            return x[i]
        }
        switch op {
        case .conv(let a):
            return try RefConv.forward(arg(0), arg(1), x.count > 2 ? x[2] : nil, a)
        case .batchNorm: return try RefElementwise.channelAffine(arg(0), scale: arg(1), shift: arg(2))
        case .unary(let u): return RefElementwise.unaryForward(u, try arg(0))
        case .binary(let b): return try RefElementwise.binaryForward(b, arg(0), arg(1))
        case .prelu: return try RefElementwise.preluForward(arg(0), arg(1))
        case .lrn(let size, let alpha, let beta, let bias):
            return try RefPool.lrnForward(arg(0), size: size, alpha: alpha, beta: beta, bias: bias)
        case .globalMaxPool: return try RefPool.globalMaxForward(arg(0))
        case .maxPool(let a): return try RefPool.maxForward(arg(0), a)
        case .averagePool(let a): return try RefPool.averageForward(arg(0), a)
        case .globalAveragePool: return try RefPool.globalAverageForward(arg(0))
        case .flatten(let axis): let t = try arg(0); return t.reshaped(RefShape.flattenShape(t.shape, axis: axis))
        case .reshape(let s): let t = try arg(0); return t.reshaped(try RefShape.reshapeShape(t.shape, target: s))
        case .squeeze(let axes): let t = try arg(0); return t.reshaped(try RefShape.squeezeShape(t.shape, axes: axes))
        case .unsqueeze(let axes): let t = try arg(0); return t.reshaped(try RefShape.unsqueezeShape(t.shape, axes: axes))
        case .transpose(let perm): return try RefShape.transpose(arg(0), perm: perm)
        case .gemm(let a): return try RefLinear.gemmForward(arg(0), arg(1), x.count > 2 ? x[2] : nil, a)
        case .matMul: return try RefLinear.matMulForward(arg(0), arg(1))
        case .concat(let axis): return try RefShape.concat(x, axis: axis)
        case .softmax(let axis): return RefShape.softmax(try arg(0), axis: axis)
        case .logSoftmax(let axis): return RefShape.logSoftmax(try arg(0), axis: axis)
        case .identity: return try arg(0)
        case .pad(let pads, let value): return try RefShape.pad(arg(0), pads: pads, value: value)
        case .padBorder(let pads, let reflect):
            let t = try arg(0)
            let (shape, idx) = try RefShape.borderIndex(t.shape, pads: pads, reflect: reflect)
            return Tensor(shape: shape, data: idx.map { t.data[$0] })
        case .reduceMean(let axes, let keep): return try RefShape.reduceMean(arg(0), axes: axes, keepDims: keep)
        }
    }

    /// d loss / d input[wrt], given the node's inputs, its output y and dy.
    public static func backward(_ op: Op, _ x: [Tensor], y: Tensor, dy: Tensor, wrt: Int) throws -> Tensor {
        switch op {
        case .conv(let a):
            let d = RefElementwise.activationBackward(a.activation, y: y, dy: dy)
            guard wrt == 0 else { break }
            return try RefConv.backwardData(d, xShape: x[0].shape, x[1], a)
        case .batchNorm:
            guard wrt == 0 else { break }
            return RefElementwise.channelAffineBackward(dy, scale: x[1])
        case .unary(let u):
            return RefElementwise.unaryBackward(u, x: x[0], y: y, dy: dy)
        case .binary(let b):
            return RefElementwise.binaryBackward(b, x[0], x[1], dy: dy, wrt: wrt)
        case .prelu:
            guard wrt == 0 else { break }
            return try RefElementwise.preluBackward(x[0], x[1], dy: dy)
        case .lrn(let size, let alpha, let beta, let bias):
            return RefPool.lrnBackward(x[0], size: size, alpha: alpha, beta: beta, bias: bias, dy: dy)
        case .globalMaxPool: return RefPool.globalMaxBackward(x[0], dy: dy)
        case .maxPool(let a): return try RefPool.maxBackward(x[0], a, dy: dy)
        case .averagePool(let a): return try RefPool.averageBackward(x[0].shape, a, dy: dy)
        case .globalAveragePool: return RefPool.globalAverageBackward(x[0].shape, dy: dy)
        case .flatten, .reshape, .squeeze, .unsqueeze, .identity: return dy.reshaped(x[0].shape)
        case .transpose(let perm): return try RefShape.transpose(dy, perm: RefShape.inversePerm(perm))
        case .gemm(let a):
            guard wrt == 0 else { break }
            let d = RefElementwise.activationBackward(a.activation, y: y, dy: dy)
            return RefLinear.gemmBackwardA(x[0], x[1], a, dy: d)
        case .matMul: return try RefLinear.matMulBackward(x[0], x[1], dy: dy, wrt: wrt)
        case .concat(let axis): return RefShape.concatBackward(dy, shapes: x.map(\.shape), axis: axis, index: wrt)
        case .softmax(let axis): return RefShape.softmaxBackward(y, dy: dy, axis: axis)
        case .logSoftmax(let axis): return RefShape.logSoftmaxBackward(y, dy: dy, axis: axis)
        case .pad(let pads, _): return RefShape.padBackward(dy, xShape: x[0].shape, pads: pads)
        case .padBorder(let pads, let reflect):
            let (_, idx) = try RefShape.borderIndex(x[0].shape, pads: pads, reflect: reflect)
            var g = Tensor(zeros: x[0].shape)
            for (o, i) in idx.enumerated() { g.data[i] += dy.data[o] }
            return g
        case .reduceMean(let axes, _): return RefShape.reduceMeanBackward(dy, xShape: x[0].shape, axes: axes)
        }
        throw EngineError("\(op.name): no gradient with respect to input \(wrt)")
    }
}
