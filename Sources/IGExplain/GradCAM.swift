/// Grad-CAM (Selvaraju et al. 2017; docs/METHODS.md, "The comparison methods"):
/// a_k = (1/Z) sum_ij dy/dA^k_ij; L = ReLU(sum_k a_k A^k).
public struct GradCAM: GradientMethod {
    public init() {}
    public var name: String { "grad-cam" }
    public var aliases: [String] { ["gc", "gradcam"] }
    public var shortName: String { "Grad-CAM" }

    public func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        CAM.weightedSum(a, weights: CAM.channelMeans(g, channels: channels, hw: hw), hw: hw)
    }
}

extension Method { public static let gradCAM = Method(GradCAM()) }
