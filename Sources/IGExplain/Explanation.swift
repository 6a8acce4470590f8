import IGImaging

/// One explanation: the raw map at the target layer's resolution and
/// everything needed to reproduce it.
public struct Explanation: Sendable {
    public var method: Method
    public var layer: String
    public var classIndex: Int
    public var label: String
    /// The class logit y^c on the image (the score the methods explain).
    public var score: Float
    public var probability: Float
    /// Raw map [height * width], before upsampling and before any normalisation.
    public var map: [Float]
    public var height: Int
    public var width: Int
    /// Options in force (steps, baseline and reading matter to Integrated Grad-CAM only).
    public var options: ExplainOptions
    /// Wall time of this call; near 0 when the result came from the cache.
    public var seconds: Double
    /// How the raw map is scaled, so raw maps can be compared across tools.
    public var scaling: String

    /// The map min-max normalised to [0, 1].
    public var normalized: [Float] { normalizeMinMax(map) }
}
