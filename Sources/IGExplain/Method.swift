/// What one explanation method is, in one place: its names, which options
/// change its map, how its raw map is scaled, how it finds its default class,
/// and the map itself. Each method is one small file with one type
/// conforming to this protocol (see GradCAM.swift for the smallest), listed
/// once in Registry.swift; the shared machinery (passes at the image, caches,
/// micro-batches, progress, cancellation) lives in Explainer.
///
/// The shape follows pytorch-grad-cam, where each CAM subclass of BaseCAM
/// overrides one function (`get_cam_weights`): here the one-pass gradient
/// methods conform to `GradientMethod` and write only `map(a:g:channels:hw:)`;
/// the methods that need their own passes (Integrated Grad-CAM, Score-CAM,
/// Ablation-CAM) write `map(in:_:)`. The formulas are docs/METHODS.md's.
public protocol ExplanationMethod: Sendable {
    /// The canonical name (`--method`, JSON "method", the CSV "method" column,
    /// output-file suffixes). Results files record it: never change one.
    var name: String { get }
    /// Other names accepted wherever a method is named (matched case-insensitively).
    var aliases: [String] { get }
    /// A short label for narrow displays (the viewer's panel and tiles).
    var shortName: String { get }
    /// The options of `ExplainOptions` that change this method's map (the
    /// others are ignored by it, and callers may normalise them away).
    var takes: MethodOptions { get }
    /// Many passes, reporting partial maps through the progress handler.
    var isProgressive: Bool { get }
    /// One pass per channel of the target layer (so hundreds on a real
    /// network): callers that warm engines up skip such methods.
    var passesPerChannel: Bool { get }
    /// How the raw map is scaled, for `Explanation.scaling`.
    func scaling(_ options: ExplainOptions) -> String
    /// The top-1 class, found with the passes this method would make anyway
    /// (caching them in `ex`), when the caller names no class.
    func defaultClass(_ ex: Explainer, layer: String) throws -> Int
    /// The raw map [job.height * job.width] at the target layer's resolution,
    /// before upsampling and normalisation.
    func map(in ex: Explainer, _ job: MapJob) throws -> [Float]
}

extension ExplanationMethod {
    public var aliases: [String] { [] }
    public var takes: MethodOptions { [] }
    public var isProgressive: Bool { false }
    public var passesPerChannel: Bool { false }
    public func scaling(_ options: ExplainOptions) -> String { "raw" }
    public func defaultClass(_ ex: Explainer, layer: String) throws -> Int { try ex.top(1)[0].classIndex }
}

/// A method whose map is a function of the target layer's activation A and
/// gradient dy/dA at the image alone: one forward and one backward pass.
public protocol GradientMethod: ExplanationMethod {
    /// The map from `a` = A^k_ij and `g` = dy^c/dA^k_ij, flat [channels * hw], channel-major.
    func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float]
}

extension GradientMethod {
    public func map(in ex: Explainer, _ job: MapJob) throws -> [Float] {
        let (a, g) = try ex.gradientAtImage(layer: job.layer, classIndex: job.classIndex)
        return map(a: a.data[...], g: g.data[...], channels: job.channels, hw: job.hw)
    }

    /// The gradient pass picks the class itself after its forward, so the
    /// default explanation costs one pass, not two.
    public func defaultClass(_ ex: Explainer, layer: String) throws -> Int {
        try ex.gradientAtTopClass(layer: layer)
    }
}

/// The options of `ExplainOptions` a method reads.
public struct MethodOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `steps` (m).
    public static let steps = MethodOptions(rawValue: 1)
    /// `baseline` (x').
    public static let baseline = MethodOptions(rawValue: 2)
    /// `reading` (figure / authors-code).
    public static let reading = MethodOptions(rawValue: 4)
    /// `memoryBudget` only bounds micro-batches: it never changes a map and is not listed.
}

/// One map to make: the target, its shape, the options, and the caller's
/// progress handler and cancellation token.
public struct MapJob: Sendable {
    /// The target layer (an exact tensor name).
    public var layer: String
    public var classIndex: Int
    /// The layer's shape C x h x w.
    public var channels: Int
    public var height: Int
    public var width: Int
    public var options: ExplainOptions
    public var progress: ProgressHandler?
    public var cancel: CancellationToken?
    /// h * w.
    public var hw: Int { height * width }
}

/// A method as a value: what callers hold, compare, cycle through and print.
/// Two values are equal when their canonical names are.
public struct Method: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The method's definition.
    public let definition: any ExplanationMethod

    public init(_ definition: any ExplanationMethod) { self.definition = definition }

    /// The canonical name (see `ExplanationMethod.name`).
    public var name: String { definition.name }
    public var shortName: String { definition.shortName }
    public var aliases: [String] { definition.aliases }
    public var takes: MethodOptions { definition.takes }
    public var isProgressive: Bool { definition.isProgressive }
    public var passesPerChannel: Bool { definition.passesPerChannel }
    public var description: String { definition.name }

    /// A canonical name or an alias (case-insensitive) among `methods` (the registry by default).
    public init?(name: String, among methods: [Method] = Method.allCases) {
        let n = name.lowercased()
        guard let m = methods.first(where: { $0.name == n }) ?? methods.first(where: { $0.aliases.contains(n) }) else { return nil }
        self = m
    }

    public static func == (a: Method, b: Method) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let n = try c.decode(String.self)
        guard let m = Method(name: n) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown method '\(n)'")
        }
        self = m
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
