/// The formulas of METHODS.md, one small function each, on one batch item:
/// `a` and `g` are the target layer's activation A^k_ij and gradient
/// dy^c/dA^k_ij as flat [C * h * w] arrays (channel-major). Every map is
/// returned raw at the layer's resolution, [h * w], before upsampling or
/// normalisation.
public enum CAM {
    /// ReLU(sum_k w_k A^k): the last step of every channel-weighting method.
    public static func weightedSum(_ a: ArraySlice<Float>, weights w: [Float], hw: Int) -> [Float] {
        var map = [Float](repeating: 0, count: hw)
        let base = a.startIndex
        for k in 0..<w.count where w[k] != 0 {
            let wk = w[k], off = base + k * hw
            for i in 0..<hw { map[i] += wk * a[off + i] }
        }
        return relu(map)
    }

    public static func relu(_ m: [Float]) -> [Float] { m.map { max($0, 0) } }

    /// GAP_ij(g^k): the mean gradient of each channel.
    public static func channelMeans(_ g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        let base = g.startIndex
        return (0..<channels).map { k in
            var s: Float = 0
            for i in 0..<hw { s += g[base + k * hw + i] }
            return s / Float(hw)
        }
    }

    /// Grad-CAM: a_k = (1/Z) sum_ij dy/dA^k_ij; L = ReLU(sum_k a_k A^k).
    public static func gradCAM(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        weightedSum(a, weights: channelMeans(g, channels: channels, hw: hw), hw: hw)
    }

    /// Grad-CAM++ (eq. 19, Y = exp(S)): alpha = g^2 / (2 g^2 + sum_ab A^k_ab g^3)
    /// (0 where the denominator is 0); w_k = sum_ij alpha ReLU(g); L = ReLU(sum_k w_k A^k).
    public static func gradCAMPlusPlus(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        let w: [Float] = (0..<channels).map { k in
            var sumA: Float = 0
            for i in 0..<hw { sumA += a[ba + k * hw + i] }
            var wk: Float = 0
            for i in 0..<hw {
                let gi = g[bg + k * hw + i]
                let g2 = gi * gi
                let den = 2 * g2 + sumA * g2 * gi
                let alpha = den != 0 ? g2 / den : 0
                wk += alpha * max(gi, 0)
            }
            return wk
        }
        return weightedSum(a, weights: w, hw: hw)
    }

    /// XGrad-CAM: a_k = sum_ij (A^k_ij / sum_ab A^k_ab) dy/dA^k_ij (0 for a channel summing to 0).
    public static func xgradCAM(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        let w: [Float] = (0..<channels).map { k in
            var sumA: Float = 0, dot: Float = 0
            for i in 0..<hw {
                sumA += a[ba + k * hw + i]
                dot += a[ba + k * hw + i] * g[bg + k * hw + i]
            }
            return sumA != 0 ? dot / sumA : 0
        }
        return weightedSum(a, weights: w, hw: hw)
    }

    /// HiResCAM: L = ReLU(sum_k dy/dA^k ⊙ A^k), element-wise, no averaging.
    public static func hiresCAM(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        elementwise(a: a, g: g, channels: channels, hw: hw) { $0 }
    }

    /// LayerCAM: L_ij = ReLU(sum_k ReLU(dy/dA^k_ij) A^k_ij).
    public static func layerCAM(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        elementwise(a: a, g: g, channels: channels, hw: hw) { max($0, 0) }
    }

    static func elementwise(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int,
                            _ f: (Float) -> Float) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        var map = [Float](repeating: 0, count: hw)
        for k in 0..<channels { for i in 0..<hw { map[i] += f(g[bg + k * hw + i]) * a[ba + k * hw + i] } }
        return relu(map)
    }

    /// The one-pass gradient methods by name.
    public static func onePass(_ m: Method) -> ((ArraySlice<Float>, ArraySlice<Float>, Int, Int) -> [Float])? {
        switch m {
        case .gradCAM: return { gradCAM(a: $0, g: $1, channels: $2, hw: $3) }
        case .gradCAMPlusPlus: return { gradCAMPlusPlus(a: $0, g: $1, channels: $2, hw: $3) }
        case .xgradCAM: return { xgradCAM(a: $0, g: $1, channels: $2, hw: $3) }
        case .hiresCAM: return { hiresCAM(a: $0, g: $1, channels: $2, hw: $3) }
        case .layerCAM: return { layerCAM(a: $0, g: $1, channels: $2, hw: $3) }
        default: return nil
        }
    }

    /// Min-max normalisation to [0, 1]; a constant map becomes all zeros.
    public static func minMax(_ m: [Float]) -> [Float] {
        guard let lo = m.min(), let hi = m.max(), hi > lo else { return [Float](repeating: 0, count: m.count) }
        return m.map { ($0 - lo) / (hi - lo) }
    }
}
