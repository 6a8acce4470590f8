/// HiResCAM (Draelos & Carin 2020; docs/METHODS.md, "The comparison methods"):
/// L = ReLU(sum_k dy/dA^k ⊙ A^k), element-wise, no averaging.
public struct HiResCAM: GradientMethod {
    public init() {}
    public var name: String { "hires-cam" }
    public var aliases: [String] { ["hires", "hirescam"] }
    public var shortName: String { "HiResCAM" }

    public func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        CAM.elementwise(a: a, g: g, channels: channels, hw: hw) { $0 }
    }
}

extension Method { public static let hiresCAM = Method(HiResCAM()) }
