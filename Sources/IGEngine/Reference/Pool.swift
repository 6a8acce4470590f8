import Foundation

/// Reference pooling: max (first maximum wins the gradient), average
/// (with or without padded cells in the divisor) and global average.
enum RefPool {
    static func outputSize(_ input: Int, k: Int, s: Int, padBegin: Int, padEnd: Int, d: Int, ceil: Bool) -> Int {
        let span = input + padBegin + padEnd - d * (k - 1) - 1
        var o = (ceil ? (span + s - 1) / s : span / s) + 1
        // PyTorch/ONNX: the last window must start inside the input or left padding.
        if ceil && (o - 1) * s >= input + padBegin { o -= 1 }
        return o
    }

    struct Window { let n, c, h, w, oh, ow: Int }

    static func window(_ x: [Int], _ a: PoolAttributes) throws -> Window {
        guard x.count == 4 else { throw EngineError("Pool: expected a 4-D input, got \(x)") }
        let oh = outputSize(x[2], k: a.kernel[0], s: a.strides[0], padBegin: a.pads[0], padEnd: a.pads[2], d: a.dilations[0], ceil: a.ceilMode)
        let ow = outputSize(x[3], k: a.kernel[1], s: a.strides[1], padBegin: a.pads[1], padEnd: a.pads[3], d: a.dilations[1], ceil: a.ceilMode)
        guard oh > 0, ow > 0 else { throw EngineError("Pool: empty output for input \(x)") }
        return Window(n: x[0], c: x[1], h: x[2], w: x[3], oh: oh, ow: ow)
    }

    /// Calls body(outputIndex, inputIndex) for every valid input cell in every
    /// window, and divisor(outputIndex, count) after each window.
    static func forEachWindow(_ g: Window, _ a: PoolAttributes,
                              _ body: (Int, Int) -> Void, _ done: (Int, Int, Int) -> Void) {
        for nc in 0..<(g.n * g.c) {
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    let o = (nc * g.oh + oy) * g.ow + ox
                    var valid = 0
                    let y0 = oy * a.strides[0] - a.pads[0], x0 = ox * a.strides[1] - a.pads[1]
                    for ky in 0..<a.kernel[0] {
                        let iy = y0 + ky * a.dilations[0]
                        if iy < 0 || iy >= g.h { continue }
                        for kx in 0..<a.kernel[1] {
                            let ix = x0 + kx * a.dilations[1]
                            if ix < 0 || ix >= g.w { continue }
                            body(o, (nc * g.h + iy) * g.w + ix)
                            valid += 1
                        }
                    }
                    // Cells counted with count_include_pad: the window clipped to the padded input.
                    let yEnd = min(y0 + (a.kernel[0] - 1) * a.dilations[0] + 1, g.h + a.pads[2])
                    let xEnd = min(x0 + (a.kernel[1] - 1) * a.dilations[1] + 1, g.w + a.pads[3])
                    let padded = ((yEnd - y0 + a.dilations[0] - 1) / a.dilations[0]) * ((xEnd - x0 + a.dilations[1] - 1) / a.dilations[1])
                    done(o, valid, padded)
                }
            }
        }
    }

    static func maxForward(_ x: Tensor, _ a: PoolAttributes) throws -> Tensor {
        let g = try window(x.shape, a)
        var y = [Float](repeating: -.infinity, count: g.n * g.c * g.oh * g.ow)
        forEachWindow(g, a, { o, i in if x.data[i] > y[o] { y[o] = x.data[i] } }, { _, _, _ in })
        return Tensor(shape: [g.n, g.c, g.oh, g.ow], data: y)
    }

    static func maxBackward(_ x: Tensor, _ a: PoolAttributes, dy: Tensor) throws -> Tensor {
        let g = try window(x.shape, a)
        var best = [Float](repeating: -.infinity, count: dy.count)
        var arg = [Int](repeating: -1, count: dy.count)
        forEachWindow(g, a, { o, i in if x.data[i] > best[o] { best[o] = x.data[i]; arg[o] = i } }, { _, _, _ in })
        var dx = [Float](repeating: 0, count: x.count)
        for o in 0..<dy.count where arg[o] >= 0 { dx[arg[o]] += dy.data[o] }
        return Tensor(shape: x.shape, data: dx)
    }

    static func averageForward(_ x: Tensor, _ a: PoolAttributes) throws -> Tensor {
        let g = try window(x.shape, a)
        var y = [Float](repeating: 0, count: g.n * g.c * g.oh * g.ow)
        forEachWindow(g, a, { o, i in y[o] += x.data[i] }, { o, valid, padded in
            let d = a.countIncludePad ? padded : valid
            y[o] = d > 0 ? y[o] / Float(d) : 0
        })
        return Tensor(shape: [g.n, g.c, g.oh, g.ow], data: y)
    }

    static func averageBackward(_ xShape: [Int], _ a: PoolAttributes, dy: Tensor) throws -> Tensor {
        let g = try window(xShape, a)
        var divisor = [Float](repeating: 1, count: dy.count)
        forEachWindow(g, a, { _, _ in }, { o, valid, padded in
            divisor[o] = Float(max(a.countIncludePad ? padded : valid, 1))
        })
        var dx = [Float](repeating: 0, count: xShape.reduce(1, *))
        forEachWindow(g, a, { o, i in dx[i] += dy.data[o] / divisor[o] }, { _, _, _ in })
        return Tensor(shape: xShape, data: dx)
    }

    static func globalAverageForward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 3 else { throw EngineError("GlobalAveragePool: expected N,C,..., got \(x.shape)") }
        let nc = x.shape[0] * x.shape[1], inner = x.count / nc
        var y = [Float](repeating: 0, count: nc)
        for i in 0..<nc {
            var s: Float = 0
            for j in 0..<inner { s += x.data[i * inner + j] }
            y[i] = s / Float(inner)
        }
        return Tensor(shape: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2), data: y)
    }

    static func globalAverageBackward(_ xShape: [Int], dy: Tensor) -> Tensor {
        let nc = xShape[0] * xShape[1], inner = xShape.reduce(1, *) / nc
        var dx = [Float](repeating: 0, count: nc * inner)
        for i in 0..<nc {
            let g = dy.data[i] / Float(inner)
            for j in 0..<inner { dx[i * inner + j] = g }
        }
        return Tensor(shape: xShape, data: dx)
    }

    static func globalMaxForward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 3 else { throw EngineError("GlobalMaxPool: expected N,C,..., got \(x.shape)") }
        let nc = x.shape[0] * x.shape[1], inner = x.count / nc
        var y = [Float](repeating: -.infinity, count: nc)
        for i in 0..<nc { for j in 0..<inner { y[i] = Swift.max(y[i], x.data[i * inner + j]) } }
        return Tensor(shape: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2), data: y)
    }

    /// The gradient goes to the first maximum of each channel.
    static func globalMaxBackward(_ x: Tensor, dy: Tensor) -> Tensor {
        let nc = x.shape[0] * x.shape[1], inner = x.count / nc
        var dx = [Float](repeating: 0, count: x.count)
        for i in 0..<nc {
            var best = 0
            for j in 1..<Swift.max(inner, 1) where x.data[i * inner + j] > x.data[i * inner + best] { best = j }
            dx[i * inner + best] = dy.data[i]
        }
        return Tensor(shape: x.shape, data: dx)
    }

    /// d[c] = bias + alpha / size * sum of x^2 over channels c - floor((size-1)/2) ... c + ceil((size-1)/2).
    static func lrnDenominator(_ x: Tensor, size: Int, alpha: Float, bias: Float) -> [Float] {
        let n = x.shape[0], c = x.shape[1], inner = x.count / (n * c)
        let lo = (size - 1) / 2, hi = size - 1 - lo
        var d = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<inner {
                    var s: Float = 0
                    for k in Swift.max(0, ch - lo)...Swift.min(c - 1, ch + hi) {
                        let v = x.data[(b * c + k) * inner + i]
                        s += v * v
                    }
                    d[(b * c + ch) * inner + i] = bias + alpha / Float(size) * s
                }
            }
        }
        return d
    }

    static func lrnForward(_ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float) throws -> Tensor {
        guard x.rank >= 3, size >= 1 else { throw EngineError("LRN: expected N,C,... input, got \(x.shape)") }
        let d = lrnDenominator(x, size: size, alpha: alpha, bias: bias)
        var y = x
        for i in 0..<x.count { y.data[i] = x.data[i] * pow(d[i], -beta) }
        return y
    }

    /// dx_i = dy_i d_i^-beta - (2 alpha beta / size) x_i * sum over channels j whose window holds i of dy_j x_j d_j^(-beta-1).
    static func lrnBackward(_ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float, dy: Tensor) -> Tensor {
        let d = lrnDenominator(x, size: size, alpha: alpha, bias: bias)
        let n = x.shape[0], c = x.shape[1], inner = x.count / (n * c)
        let lo = (size - 1) / 2, hi = size - 1 - lo
        var t = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count { t[i] = dy.data[i] * x.data[i] * pow(d[i], -beta - 1) }
        var dx = dy
        let k2 = 2 * alpha * beta / Float(size)
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<inner {
                    let o = (b * c + ch) * inner + i
                    // Channel ch is in the window of j when j - lo <= ch <= j + hi.
                    var s: Float = 0
                    for j in Swift.max(0, ch - hi)...Swift.min(c - 1, ch + lo) { s += t[(b * c + j) * inner + i] }
                    dx.data[o] = dy.data[o] * pow(d[o], -beta) - k2 * x.data[o] * s
                }
            }
        }
        return dx
    }
}
