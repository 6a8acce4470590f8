import Foundation
import IGEngine
import IGImaging
import IGONNX

/// The order of a network's colour channels.
public enum ChannelOrder: String, Sendable, CaseIterable {
    case rgb, bgr
}

/// How to turn a photo into the network's input.
public struct Preprocessing: Sendable, Equatable {
    public init(height: Int, width: Int, mean: [Float], std: [Float], resize: ResizeMode,
                channels: Int = 3, channelOrder: ChannelOrder = .rgb) {
        self.height = height; self.width = width; self.mean = mean; self.std = std; self.resize = resize
        self.channels = channels; self.channelOrder = channelOrder
    }

    public var height: Int
    public var width: Int
    /// One value per input channel, in the network's channel order, [0, 1] pixel units.
    public var mean: [Float]
    public var std: [Float]
    public var resize: ResizeMode
    /// 3 (colour) or 1 (grayscale: ITU-R BT.601 luma of the photo).
    public var channels: Int
    /// Colour networks only: RGB or BGR.
    public var channelOrder: ChannelOrder

    /// Stated defaults for a model without a sidecar: the input size from the
    /// graph, ImageNet mean/std, straight stretch.
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]
    /// Defaults for a grayscale network: the means of the ImageNet values.
    static let grayMean: [Float] = [0.449]
    static let grayStd: [Float] = [0.226]
}

/// One class prediction.
public struct Prediction: Sendable, Equatable, Codable {
    public var classIndex: Int
    public var label: String
    public var probability: Float
    public var logit: Float
}

/// A loaded classifier: its graph, the engine that runs it, its
/// preprocessing, labels and default target layer.
public final class Model: Sendable {
    public let path: String
    public let name: String
    public let graph: Graph
    public let engine: InferenceEngine
    public let preprocessing: Preprocessing
    public let labels: [String]
    public let defaultLayer: String
    /// Results that depend on the model alone, not on an image (e.g. a layer's
    /// activation on a black image), shared by every image's explainer.
    public let imageIndependent = TensorCache()

    /// A model from a graph already in memory (tests, demos, other importers).
    public init(graph: Graph, name: String, engine: InferenceEngine, preprocessing: Preprocessing,
                labels: [String], defaultLayer: String, path: String = "") {
        self.path = path
        self.name = name
        self.graph = graph
        self.engine = engine
        self.preprocessing = preprocessing
        self.labels = labels
        self.defaultLayer = defaultLayer
    }

    /// Loads `path` (ONNX) and its sidecar; explicit arguments override the sidecar.
    /// `engine` builds the engine that runs the imported graph: the caller picks
    /// the backend (`{ ReferenceEngine(graph: $0) }`, or IGFast's `FastEngine`,
    /// which is what the command line uses unless told otherwise).
    public convenience init(path: String, engine makeEngine: (Graph) throws -> any InferenceEngine,
                            inputSize: [Int]? = nil, mean: [Float]? = nil, std: [Float]? = nil,
                            resize: ResizeMode? = nil, defaultLayer: String? = nil) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError("\(path): no such model file") }
        let sidecar = try Sidecar.load(forModel: path) ?? Sidecar()
        let sidecarPath = Sidecar.path(forModel: path)
        var layout = InputLayout.auto
        if let l = sidecar.layout {
            guard let parsed = InputLayout(rawValue: l.lowercased()), parsed != .auto else {
                throw ModelError("\(sidecarPath): layout must be 'nchw' or 'nhwc', not '\(l)'")
            }
            layout = parsed
        }
        var order = ChannelOrder.rgb
        if let o = sidecar.channelOrder {
            guard let parsed = ChannelOrder(rawValue: o.lowercased()) else {
                throw ModelError("\(sidecarPath): channel_order must be 'rgb' or 'bgr', not '\(o)'")
            }
            order = parsed
        }
        let graph = try ONNXImporter.load(path: path, layout: layout)
        let channels = graph.inputShape[0]
        guard channels == 3 || channels == 1 else {
            throw ModelError("\(path): the image input has \(channels) channels (shape \(graph.inputShape) as C, H, W); "
                             + "igcam feeds 3 (colour) or 1 (grayscale). If the input is NHWC or NCHW, say so with \"layout\" in \(sidecarPath)")
        }
        let engine = try makeEngine(graph)
        let size = inputSize ?? sidecar.inputSize ?? [graph.inputShape[1], graph.inputShape[2]]
        guard size.count == 2, size[0] == graph.inputShape[1], size[1] == graph.inputShape[2] else {
            throw ModelError("\(path): input size \(size) does not match the graph's \(graph.inputShape)")
        }
        let m = mean ?? sidecar.mean ?? (channels == 3 ? Preprocessing.imagenetMean : Preprocessing.grayMean)
        let s = std ?? sidecar.std ?? (channels == 3 ? Preprocessing.imagenetStd : Preprocessing.grayStd)
        guard m.count == channels, s.count == channels, s.allSatisfy({ $0 > 0 && $0.isFinite }), m.allSatisfy(\.isFinite) else {
            throw ModelError("\(path): mean and std need \(channels) value\(channels == 1 ? "" : "s") each (one per input channel), std positive (got \(m), \(s))")
        }
        var mode = ResizeMode.stretch
        if let r = resize { mode = r } else if let r = sidecar.resize {
            guard let parsed = ResizeMode(rawValue: r) else {
                throw ModelError("\(Sidecar.path(forModel: path)): resize must be 'stretch' or 'crop', not '\(r)'")
            }
            mode = parsed
        }
        let classes = graph.shapes[graph.output]?.last ?? 0
        let l = try sidecar.resolvedLabels(sidecarPath: Sidecar.path(forModel: path)) ?? []
        let layer: String
        if let d = defaultLayer ?? sidecar.defaultLayer {
            layer = try graph.resolveLayer(d)
        } else if let last = graph.defaultLayer {
            layer = last
        } else {
            throw ModelError("\(path): no convolutional layer to explain; name one with --layer")
        }
        self.init(graph: graph, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
                  engine: engine,
                  preprocessing: Preprocessing(height: size[0], width: size[1], mean: m, std: s, resize: mode,
                                               channels: channels, channelOrder: order),
                  labels: l.count == classes ? l : (0..<classes).map { "class \($0)" },
                  defaultLayer: layer, path: path)
    }

    public var classCount: Int { labels.count }

    /// What the methods explain (the score y^c): the input of the file's final
    /// Softmax when it had one (removed at import), else the file's output.
    public var scoreDescription: String {
        if let op = graph.removedSoftmax { return "logit (input of the final \(op))" }
        return "logit (the model's output; no final Softmax)"
    }

    public func label(_ c: Int) -> String { c >= 0 && c < labels.count ? labels[c] : "class \(c)" }

    /// Resolves a layer as the exporter wrote it or by a shorter unique form.
    public func layer(_ name: String?) throws -> String {
        guard let name else { return defaultLayer }
        return try graph.resolveLayer(name)
    }

    /// Per-item shape [C, h, w] of a tensor.
    public func shape(of tensor: String) -> [Int] { graph.shapes[tensor] ?? [] }

    /// The image resized/cropped to the input size, in pixel space [0, 1], CHW.
    public func pixels(_ image: RGBImage) -> [Float] {
        let p = preprocessing
        return preprocess(image, height: p.height, width: p.width, mode: p.resize, mean: [0, 0, 0], std: [1, 1, 1])
    }

    /// Pixel-space RGB CHW values as the network's input, a batch of one:
    /// channels put in the network's order (or turned to gray), then
    /// normalised with its mean and std.
    public func normalize(_ pixels: [Float]) -> Tensor {
        let p = preprocessing
        let plane = p.height * p.width
        if p.channels == 1 {
            var d = [Float](repeating: 0, count: plane)
            for i in 0..<plane {
                let g = 0.299 * pixels[i] + 0.587 * pixels[plane + i] + 0.114 * pixels[2 * plane + i]
                d[i] = (g - p.mean[0]) / p.std[0]
            }
            return Tensor(shape: [1, 1, p.height, p.width], data: d)
        }
        var d = pixels
        for c in 0..<3 {
            let src = p.channelOrder == .bgr ? 2 - c : c
            for i in 0..<plane { d[c * plane + i] = (pixels[src * plane + i] - p.mean[c]) / p.std[c] }
        }
        return Tensor(shape: [1, 3, p.height, p.width], data: d)
    }

    /// The network input for an image.
    public func input(_ image: RGBImage) -> Tensor { normalize(pixels(image)) }

    /// Resolves a class given as an index or as (part of) a label (the rules of `lookUpClass`).
    public func resolveClass(_ text: String) throws -> Int { try lookUpClass(text, labels: labels) }

    /// Top-k predictions for each item of a batch of logits.
    public func top(_ logits: Tensor, k: Int) -> [[Prediction]] {
        let n = logits.shape[0], c = logits.count / n
        return (0..<n).map { i in
            let row = Array(logits.data[i * c ..< (i + 1) * c])
            let probs = softmax(row)
            return row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(max(1, k)).map {
                Prediction(classIndex: $0, label: label($0), probability: probs[$0], logit: row[$0])
            }
        }
    }

    /// Top-k classes for one image.
    public func classify(_ image: RGBImage, top k: Int = 5) throws -> [Prediction] {
        top(try engine.forward(input(image)), k: k)[0]
    }
}

/// Numerically stable softmax of one row.
public func softmax(_ row: [Float]) -> [Float] {
    let m = row.max() ?? 0
    let e = row.map { expf($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

/// A small thread-safe store of tensors by key.
/// `@unchecked Sendable`: `store` is read and written under `lock`.
public final class TensorCache: @unchecked Sendable {
    private var store: [String: Tensor] = [:]
    private let lock = NSLock()
    public init() {}
    public subscript(key: String) -> Tensor? {
        get { lock.lock(); defer { lock.unlock() }; return store[key] }
        set { lock.lock(); defer { lock.unlock() }; store[key] = newValue }
    }
}
