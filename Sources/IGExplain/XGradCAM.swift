/// XGrad-CAM (Fu et al. 2020; docs/METHODS.md, "The comparison methods"):
/// a_k = sum_ij (A^k_ij / sum_ab A^k_ab) dy/dA^k_ij (0 for a channel summing to 0);
/// L = ReLU(sum_k a_k A^k).
public struct XGradCAM: GradientMethod {
    public init() {}
    public var name: String { "xgrad-cam" }
    public var aliases: [String] { ["xgc", "xgradcam"] }
    public var shortName: String { "XGrad-CAM" }

    public func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        let w: [Float] = (0..<channels).map { k in
            var sumA: Float = 0, dot: Float = 0
            for i in 0..<hw {
                sumA += a[ba + k * hw + i]
                dot += a[ba + k * hw + i] * g[bg + k * hw + i]
            }
            return sumA != 0 ? dot / sumA : 0
        }
        return CAM.weightedSum(a, weights: w, hw: hw)
    }
}

extension Method { public static let xgradCAM = Method(XGradCAM()) }
