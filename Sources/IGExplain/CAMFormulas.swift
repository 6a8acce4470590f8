/// The pieces the methods' formulas (docs/METHODS.md) share, on one batch
/// item: `a` and `g` are the target layer's activation A^k_ij and gradient
/// dy^c/dA^k_ij as flat [C * h * w] arrays (channel-major). Every map is
/// returned raw at the layer's resolution, [h * w], before upsampling or
/// normalisation. Each method's own formula is in its file (GradCAM.swift, ...).
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

    /// ReLU(sum_k f(g^k) ⊙ A^k), element-wise (HiResCAM, LayerCAM).
    public static func elementwise(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int,
                                   _ f: (Float) -> Float) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        var map = [Float](repeating: 0, count: hw)
        for k in 0..<channels { for i in 0..<hw { map[i] += f(g[bg + k * hw + i]) * a[ba + k * hw + i] } }
        return relu(map)
    }
}
