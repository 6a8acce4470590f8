/// Grad-CAM++ (Chattopadhay et al. 2018, eq. 19 with Y = exp(S); docs/METHODS.md,
/// "The comparison methods"): alpha = g^2 / (2 g^2 + sum_ab A^k_ab g^3) (0 where
/// the denominator is 0); w_k = sum_ij alpha ReLU(g); L = ReLU(sum_k w_k A^k).
public struct GradCAMPlusPlus: GradientMethod {
    public init() {}
    public var name: String { "grad-cam++" }
    public var aliases: [String] { ["gcpp", "gradcam++", "grad-cam-pp"] }
    public var shortName: String { "Grad-CAM++" }

    public func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
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
        return CAM.weightedSum(a, weights: w, hw: hw)
    }
}

extension Method { public static let gradCAMPlusPlus = Method(GradCAMPlusPlus()) }
