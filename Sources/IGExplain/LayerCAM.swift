/// LayerCAM (Jiang et al. 2021; docs/METHODS.md, "The comparison methods"):
/// L_ij = ReLU(sum_k ReLU(dy/dA^k_ij) A^k_ij).
public struct LayerCAM: GradientMethod {
    public init() {}
    public var name: String { "layer-cam" }
    public var aliases: [String] { ["layercam", "lc"] }
    public var shortName: String { "LayerCAM" }

    public func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        CAM.elementwise(a: a, g: g, channels: channels, hw: hw) { max($0, 0) }
    }
}

extension Method { public static let layerCAM = Method(LayerCAM()) }
