import IGExplain
import IGImaging
import IGModel

/// What the image area shows.
public enum ViewMode: String, CaseIterable, Sendable {
    /// The photo with the heat map blended over it.
    case overlay
    /// The heat map alone.
    case heatmap
    /// The photo alone.
    case image
    /// Every method side by side, same class and layer.
    case grid
}

/// Whether keys go to the viewer or to a one-line prompt.
public enum InputMode: Equatable, Sendable {
    case normal
    /// `/`: typing a class name or index.
    case search(String)
    /// `=`: typing an exact step count m.
    case steps(String)
    /// `?`: the key list.
    case help
}

/// One explanation the viewer can ask for. Fields that do not change a
/// method's result (the options it does not take, `Method.takes`: m,
/// baseline, reading for the one-pass methods) are normalised away so equal
/// results share a key.
public struct JobKey: Hashable, Sendable, CustomStringConvertible {
    public var image: String
    public var method: Method
    public var layer: String
    public var classIndex: Int
    public var steps: Int
    public var baseline: Baseline
    public var reading: Reading

    public init(image: String, method: Method, layer: String, classIndex: Int, steps: Int, baseline: Baseline, reading: Reading) {
        self.image = image; self.method = method; self.layer = layer; self.classIndex = classIndex
        self.steps = method.takes.contains(.steps) ? steps : 0
        self.baseline = method.takes.contains(.baseline) ? baseline : .black
        self.reading = method.takes.contains(.reading) ? reading : .figure
    }

    public var options: ExplainOptions {
        ExplainOptions(steps: max(steps, 1), baseline: baseline, reading: reading)
    }

    public var description: String { "\(method.name) \(layer) class \(classIndex) m=\(steps) \(baseline)" }
}

/// A map as far as it has got: final, or partial while a method runs.
public struct MapResult: Equatable, Sendable {
    public var map: [Float]
    public var width: Int
    public var height: Int
    public var done: Int
    public var total: Int
    /// Wall time of the finished call (nil while partial).
    public var seconds: Double?
    public var isFinal: Bool { seconds != nil }

    public init(map: [Float], width: Int, height: Int, done: Int, total: Int, seconds: Double?) {
        self.map = map; self.width = width; self.height = height; self.done = done; self.total = total; self.seconds = seconds
    }
}

/// What the background worker should be doing: load `image`, then compute
/// `keys` in order. Only the latest request counts.
public struct WorkRequest: Equatable, Sendable {
    public var image: String
    public var keys: [JobKey]
    public init(image: String, keys: [JobKey]) { self.image = image; self.keys = keys }
}

/// What the difference view subtracts from the current map.
public enum Comparison: Equatable, Hashable, Sendable {
    /// Another method (or the same one: all zero), same class, layer and options.
    case method(Method)
    /// Integrated Grad-CAM with another baseline (index into `Baseline.cycle`).
    case baseline(Int)
    /// Integrated Grad-CAM with the other reading.
    case reading

    /// Every partner `D` cycles through, in order.
    public static let all: [Comparison] = Method.allCases.map { .method($0) } + Baseline.cycle.indices.map { .baseline($0) } + [.reading]
}

/// Which baseline's class scores y(x), y(x') (see `PathScores`).
public struct ScoreKey: Hashable, Sendable {
    public var image: String
    public var classIndex: Int
    public var baseline: Baseline
    public init(image: String, classIndex: Int, baseline: Baseline) { self.image = image; self.classIndex = classIndex; self.baseline = baseline }
}

/// The class score (logit) at both ends of Integrated Grad-CAM's path.
public struct PathScores: Equatable, Sendable {
    public var image: Float
    public var baseline: Float
    public init(image: Float, baseline: Float) { self.image = image; self.baseline = baseline }
}

/// A candidate target layer: tensor name, friendly name, per-item shape.
public struct LayerInfo: Equatable, Sendable {
    public var name: String
    public var display: String
    public var shape: [Int]
    public init(name: String, display: String, shape: [Int]) { self.name = name; self.display = display; self.shape = shape }
}

/// The layers the viewer offers: the model's candidate layers with a
/// spatial map (h x w > 1), in graph order.
public func viewerLayers(_ model: Model) -> [LayerInfo] {
    model.graph.candidateLayers.filter { $0.shape.count == 3 && $0.shape[1] * $0.shape[2] > 1 }
        .map { LayerInfo(name: $0.name, display: $0.alias ?? $0.name, shape: $0.shape) }
}

/// The whole viewer as a value: every key and every job event maps one
/// state to the next (see `reduce`), and the screen is a function of it.
public struct ViewerState: Equatable, Sendable {
    public static let opacities: [Float] = [0.3, 0.5, 0.7, 0.9]
    public static let maxSteps = 4096

    public var modelName: String
    public var labels: [String]
    public var layers: [LayerInfo]
    public var paths: [String]
    public var imageIndex = 0
    /// The current image once loaded (nil while loading or when unreadable).
    public var image: RGBImage?
    public var top: [Prediction] = []
    /// The class being explained (nil until the image is classified).
    public var classIndex: Int?
    public var method: Method = .integratedGradCAM
    public var layerIndex: Int
    public var steps = 50
    public var baselineIndex = 0
    public var reading: Reading = .figure
    public var opacityIndex = 1
    public var view: ViewMode = .overlay
    public var colorMap: ColorMap = .jet
    public var input: InputMode = .normal
    public var status = ""
    /// Maps so far, final or partial, by key.
    public var results: [JobKey: MapResult] = [:]
    /// Failures by key (shown instead of a map).
    public var failures: [JobKey: String] = [:]
    public var quit = false
    /// The probe's cursor over the current map (nil: probe off).
    public var probe: ProbeCursor?
    /// Show the maps at m = 1, 2, 4, ... side by side (Integrated Grad-CAM).
    public var showLadder = false
    /// The difference view: current map minus this partner's (nil: off).
    public var compare: Comparison?
    /// y(x) and y(x') by image, class and baseline, once computed.
    public var scores: [ScoreKey: PathScores] = [:]
    /// The part of the photo the network sees (nil: all of it).
    public var geometry: InputGeometry?

    public init(modelName: String, labels: [String], layers: [LayerInfo], defaultLayer: String, paths: [String]) {
        self.modelName = modelName
        self.labels = labels
        self.layers = layers
        self.paths = paths
        self.layerIndex = layers.firstIndex { $0.name == defaultLayer } ?? max(0, layers.count - 1)
    }

    public var baseline: Baseline { Baseline.cycle[baselineIndex % Baseline.cycle.count] }
    public var opacity: Float { Self.opacities[opacityIndex % Self.opacities.count] }
    public var layer: LayerInfo? { layers.indices.contains(layerIndex) ? layers[layerIndex] : nil }
    public var imagePath: String? { paths.indices.contains(imageIndex) ? paths[imageIndex] : nil }

    public func label(_ c: Int) -> String { labels.indices.contains(c) ? labels[c] : "class \(c)" }

    /// The key for `method` under the current class, layer and options.
    public func key(for method: Method) -> JobKey? {
        guard let path = imagePath, image != nil, let c = classIndex, let l = layer else { return nil }
        return JobKey(image: path, method: method, layer: l.name, classIndex: c, steps: steps, baseline: baseline, reading: reading)
    }

    /// The key of the main view's map.
    public var currentKey: JobKey? { key(for: method) }

    /// The current map's key at another step count.
    public func key(steps m: Int) -> JobKey? {
        guard let path = imagePath, image != nil, let c = classIndex, let l = layer else { return nil }
        return JobKey(image: path, method: method, layer: l.name, classIndex: c, steps: m, baseline: baseline, reading: reading)
    }

    /// The difference view's second map.
    public var compareKey: JobKey? {
        guard let cmp = compare, let path = imagePath, image != nil, let c = classIndex, let l = layer else { return nil }
        switch cmp {
        case .method(let m): return key(for: m)
        case .baseline(let i):
            return JobKey(image: path, method: method, layer: l.name, classIndex: c, steps: steps,
                          baseline: Baseline.cycle[i % Baseline.cycle.count], reading: reading)
        case .reading:
            return JobKey(image: path, method: method, layer: l.name, classIndex: c, steps: steps, baseline: baseline,
                          reading: reading == .figure ? .authorsCode : .figure)
        }
    }

    /// The convergence ladder's keys (m = 1, 2, 4, ... up to m), for a method that takes m.
    public var ladderKeys: [JobKey] {
        guard method.takes.contains(.steps) else { return [] }
        return ladderSteps(steps).compactMap { key(steps: $0) }
    }

    /// The scores the completeness line needs for the current map (a path from a baseline).
    public var scoreKey: ScoreKey? {
        guard method.takes.contains(.baseline), let path = imagePath, let c = classIndex else { return nil }
        return ScoreKey(image: path, classIndex: c, baseline: baseline)
    }

    /// The photo region the network sees, in the loaded photo's pixels.
    public var inputRegion: (x: Int, y: Int, width: Int, height: Int)? {
        guard let img = image else { return nil }
        return geometry?.region(imageWidth: img.width, imageHeight: img.height) ?? (0, 0, img.width, img.height)
    }

    /// The work this state needs: the image, then its map(s). The grid view
    /// needs every method (the current one first); the other views need the
    /// same single map, so switching among them never starts work.
    public var work: WorkRequest? {
        guard let path = imagePath else { return nil }
        guard let cur = currentKey else { return WorkRequest(image: path, keys: []) }
        var keys = [cur]
        if view == .grid { keys += Method.allCases.filter { $0 != method }.compactMap { key(for: $0) } }
        // Then the difference view's partner, then the convergence ladder (which, with the
        // path terms cached by fraction, costs little beyond the current map when m is a
        // power of two). Keys already listed are not repeated.
        for k in [compareKey].compactMap({ $0 }) + ladderKeys where !keys.contains(k) { keys.append(k) }
        return WorkRequest(image: path, keys: keys)
    }
}
