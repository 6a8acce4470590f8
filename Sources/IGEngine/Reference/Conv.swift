/// Reference 2-D convolution, written as the definition: every output is a
/// plain sum over its receptive field. Groups, stride, padding, dilation.
enum RefConv {
    struct Geometry {
        let n, cin, h, w, cout, kh, kw, oh, ow, group, cinG, coutG: Int
        let sh, sw, pt, pl, dh, dw: Int
    }

    static func geometry(x: [Int], w: [Int], a: ConvAttributes) throws -> Geometry {
        guard x.count == 4, w.count == 4 else { throw EngineError("Conv: expected 4-D input and weight, got \(x) and \(w)") }
        let g = a.group
        guard g >= 1, x[1] % g == 0, w[0] % g == 0, w[1] * g == x[1] else {
            throw EngineError("Conv: input channels \(x[1]) and weight \(w) do not match group \(g)")
        }
        let oh = (x[2] + a.pads[0] + a.pads[2] - a.dilations[0] * (w[2] - 1) - 1) / a.strides[0] + 1
        let ow = (x[3] + a.pads[1] + a.pads[3] - a.dilations[1] * (w[3] - 1) - 1) / a.strides[1] + 1
        guard oh > 0, ow > 0 else { throw EngineError("Conv: empty output for input \(x) and kernel \(w)") }
        return Geometry(n: x[0], cin: x[1], h: x[2], w: x[3], cout: w[0], kh: w[2], kw: w[3], oh: oh, ow: ow,
                        group: g, cinG: x[1] / g, coutG: w[0] / g,
                        sh: a.strides[0], sw: a.strides[1], pt: a.pads[0], pl: a.pads[1],
                        dh: a.dilations[0], dw: a.dilations[1])
    }

    static func forward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ a: ConvAttributes) throws -> Tensor {
        let g = try geometry(x: x.shape, w: weight.shape, a: a)
        var y = [Float](repeating: 0, count: g.n * g.cout * g.oh * g.ow)
        x.data.withUnsafeBufferPointer { X in
            weight.data.withUnsafeBufferPointer { W in
                y.withUnsafeMutableBufferPointer { Y in
                    for n in 0..<g.n {
                        for co in 0..<g.cout {
                            let grp = co / g.coutG
                            let yBase = (n * g.cout + co) * g.oh * g.ow
                            let b = bias?.data[co] ?? 0
                            for i in 0..<(g.oh * g.ow) { Y[yBase + i] = b }
                            for cig in 0..<g.cinG {
                                let ci = grp * g.cinG + cig
                                let xBase = (n * g.cin + ci) * g.h * g.w
                                for ky in 0..<g.kh {
                                    for kx in 0..<g.kw {
                                        let wv = W[((co * g.cinG + cig) * g.kh + ky) * g.kw + kx]
                                        for oy in 0..<g.oh {
                                            let iy = oy * g.sh - g.pt + ky * g.dh
                                            if iy < 0 || iy >= g.h { continue }
                                            let row = xBase + iy * g.w
                                            let yRow = yBase + oy * g.ow
                                            for ox in 0..<g.ow {
                                                let ix = ox * g.sw - g.pl + kx * g.dw
                                                if ix < 0 || ix >= g.w { continue }
                                                Y[yRow + ox] += wv * X[row + ix]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var out = Tensor(shape: [g.n, g.cout, g.oh, g.ow], data: y)
        RefElementwise.applyActivation(a.activation, to: &out)
        return out
    }

    /// d loss / d x, given d loss / d y (after the fused activation has been
    /// undone by the caller).
    static func backwardData(_ dy: Tensor, xShape: [Int], _ weight: Tensor, _ a: ConvAttributes) throws -> Tensor {
        let g = try geometry(x: xShape, w: weight.shape, a: a)
        var dx = [Float](repeating: 0, count: xShape.reduce(1, *))
        dy.data.withUnsafeBufferPointer { DY in
            weight.data.withUnsafeBufferPointer { W in
                dx.withUnsafeMutableBufferPointer { DX in
                    for n in 0..<g.n {
                        for co in 0..<g.cout {
                            let grp = co / g.coutG
                            let yBase = (n * g.cout + co) * g.oh * g.ow
                            for cig in 0..<g.cinG {
                                let ci = grp * g.cinG + cig
                                let xBase = (n * g.cin + ci) * g.h * g.w
                                for ky in 0..<g.kh {
                                    for kx in 0..<g.kw {
                                        let wv = W[((co * g.cinG + cig) * g.kh + ky) * g.kw + kx]
                                        for oy in 0..<g.oh {
                                            let iy = oy * g.sh - g.pt + ky * g.dh
                                            if iy < 0 || iy >= g.h { continue }
                                            let row = xBase + iy * g.w
                                            let yRow = yBase + oy * g.ow
                                            for ox in 0..<g.ow {
                                                let ix = ox * g.sw - g.pl + kx * g.dw
                                                if ix < 0 || ix >= g.w { continue }
                                                DX[row + ix] += wv * DY[yRow + ox]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: xShape, data: dx)
    }
}
