import Foundation
import IGEngine
import IGImaging
import IGModel

/// Explains one image under one model, with every method, caching the
/// passes it has made so that another class, method or a larger m reuses
/// them. The shared machinery lives here (passes, caches, micro-batching,
/// progress, cancellation); each method says only how its map is made.
public final class Explainer: @unchecked Sendable {
    public let model: Model
    /// The image in pixel space [0, 1], CHW at the model's input size.
    public let pixels: [Float]
    /// The normalised network input [1, 3, H, W].
    public let input: Tensor

    let lock = NSLock()
    var logitsCache: Tensor?
    /// (layer, class) -> activation, gradient at the image.
    var gradientCache: [GradientKey: (a: Tensor, g: Tensor)] = [:]
    /// layer -> activation at the image (and head inputs for Ablation-CAM).
    var forwardCache: [String: [String: Tensor]] = [:]
    /// Integrated Grad-CAM path terms, by (layer, class, baseline) then alpha.
    var pathCache: [PathKey: [Fraction: PathTerms]] = [:]
    /// layer baseline activations A(x').
    var baselineCache: [BaselineKey: Tensor] = [:]
    /// Score-CAM: layer -> per-channel softmax over all classes (nil = not yet).
    var scoreCache: [String: [[Float]?]] = [:]
    /// Ablation-CAM: layer -> per-channel logits over all classes.
    var ablationCache: [String: [[Float]?]] = [:]

    public init(model: Model, pixels: [Float]) {
        self.model = model
        self.pixels = pixels
        self.input = model.normalize(pixels)
    }

    public convenience init(model: Model, image: RGBImage) {
        self.init(model: model, pixels: model.pixels(image))
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The logits on the image [1, classes].
    public func logits() throws -> Tensor {
        if let l = locked({ logitsCache }) { return l }
        let l = try model.engine.forward(input)
        locked { logitsCache = l }
        return l
    }

    /// Top-k predictions on the image.
    public func top(_ k: Int) throws -> [Prediction] { model.top(try logits(), k: k)[0] }

    /// The class to explain when none is given: the top-1 prediction. For a
    /// one-pass method the gradient call picks the class itself after its
    /// forward, so the default explanation costs one pass, not two; Score-CAM
    /// and Ablation-CAM take it from the forward they make anyway; Integrated
    /// Grad-CAM needs one forward of the image first (the class seeds its path).
    public func defaultClass(for method: Method, layer: String) throws -> Int {
        if let l = locked({ logitsCache }) { return model.top(l, k: 1)[0][0].classIndex }
        if CAM.onePass(method) != nil {
            let r = try model.engine.gradient(input, layer: layer, classes: [topPrediction], capture: [])
            let cls = model.top(r.output, k: 1)[0][0].classIndex
            // The seed and the ranking both take the first of equal logits: the gradient is cls's.
            locked {
                if logitsCache == nil { logitsCache = r.output }
                gradientCache[GradientKey(layer: layer, classIndex: cls)] = (r.activation, r.gradient)
            }
            return cls
        }
        if method == .scoreCAM || method == .ablationCAM { _ = try forwardAtImage(layer: layer) }
        return try top(1)[0].classIndex
    }

    /// Explains `classIndex` at `layer` (an exact tensor name; see Model.layer).
    public func explain(_ method: Method, layer: String, classIndex: Int, options: ExplainOptions = ExplainOptions(),
                        progress: ProgressHandler? = nil, cancel: CancellationToken? = nil) throws -> Explanation {
        let start = DispatchTime.now().uptimeNanoseconds
        guard classIndex >= 0, classIndex < model.classCount else {
            throw ModelError("class \(classIndex) is out of range 0..<\(model.classCount)")
        }
        let shape = model.shape(of: layer)
        guard shape.count == 3 else {
            throw ModelError("layer '\(layer)' has shape \(shape); a target layer must be C x h x w")
        }
        let (channels, h, w) = (shape[0], shape[1], shape[2])
        let map: [Float]
        var scaling = "raw"
        if let f = CAM.onePass(method) {
            let (a, g) = try gradientAtImage(layer: layer, classIndex: classIndex)
            map = f(a.data[...], g.data[...], channels, h * w)
        } else {
            switch method {
            case .integratedGradCAM:
                map = try integratedGradCAM(layer: layer, classIndex: classIndex, channels: channels, hw: h * w,
                                            height: h, width: w, options: options, progress: progress, cancel: cancel)
                scaling = "sum of \(options.steps) per-step ReLU terms, no 1/m (\(options.reading.rawValue) reading)"
            case .scoreCAM:
                map = try scoreCAM(layer: layer, classIndex: classIndex, channels: channels, height: h, width: w,
                                   options: options, progress: progress, cancel: cancel)
                scaling = "channel weights = softmax probability of the class on the masked input"
            case .ablationCAM:
                map = try ablationCAM(layer: layer, classIndex: classIndex, channels: channels, height: h, width: w,
                                      options: options, progress: progress, cancel: cancel)
                scaling = "channel weights = (y - y_ablated) / y on logits"
            default:
                throw ModelError("method \(method.rawValue) is not implemented")
            }
        }
        let logits = try self.logits()
        let probs = softmax(logits.data)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Explanation(method: method, layer: layer, classIndex: classIndex, label: model.label(classIndex),
                           score: logits.data[classIndex], probability: probs[classIndex], map: map,
                           height: h, width: w, options: options, seconds: seconds, scaling: scaling)
    }

    // MARK: shared passes

    /// A(x) and dy^c/dA(x) at the image, cached by (layer, class).
    func gradientAtImage(layer: String, classIndex: Int) throws -> (Tensor, Tensor) {
        let key = GradientKey(layer: layer, classIndex: classIndex)
        if let hit = locked({ gradientCache[key] }) { return hit }
        let r = try model.engine.gradient(input, layer: layer, classes: [classIndex], capture: [])
        locked {
            gradientCache[key] = (r.activation, r.gradient)
            if logitsCache == nil { logitsCache = r.output }
        }
        return (r.activation, r.gradient)
    }

    /// Activations at the image of `layer` and of what the head after it reads.
    func forwardAtImage(layer: String) throws -> [String: Tensor] {
        if let hit = locked({ forwardCache[layer] }) { return hit }
        let extra = try GraphPlan(model.graph).headInputs(after: layer)
        let r = try model.engine.forward(input, capture: Set([layer] + extra))
        locked {
            forwardCache[layer] = r.captured
            if logitsCache == nil { logitsCache = r.output }
        }
        return r.captured
    }

    /// How many items a micro-batch may hold within the memory budget, given
    /// the tensors a pass keeps per item.
    func microBatch(budget: Int, tensors: [String]) -> Int {
        let perItem = tensors.reduce(0) { $0 + (model.graph.shapes[$1]?.reduce(1, *) ?? 0) } * MemoryLayout<Float>.size
        return max(1, min(64, budget / max(perItem, 1)))
    }

    /// Runs `body` on consecutive chunks of `items` of at most `size`, checking
    /// for cancellation before each: the loop every long method shares. When
    /// someone watches the progress, the first chunk is a single item, so the
    /// first partial map comes after one pass rather than one full micro-batch.
    func inMicroBatches<T>(_ items: [T], size: Int, cancel: CancellationToken?, progressive: Bool = false,
                           _ body: ([T]) throws -> Void) throws {
        var next = 0
        while next < items.count {
            if cancel?.isCancelled == true { throw Cancelled() }
            let n = progressive && next == 0 ? 1 : size
            let chunk = Array(items[next ..< min(next + n, items.count)])
            next += chunk.count
            try body(chunk)
        }
    }

    /// Every activation of the network: an upper bound on what a full pass holds.
    var allTensors: [String] { model.graph.nodes.map(\.output) + [model.graph.input] }
}

struct GradientKey: Hashable { let layer: String; let classIndex: Int }
struct PathKey: Hashable { let layer: String; let classIndex: Int; let baseline: Baseline }
struct BaselineKey: Hashable { let layer: String; let baseline: Baseline }

/// Both readings' per-step terms at one path point.
struct PathTerms {
    /// ReLU(sum_c (A^c(x_a) - A^c(x')) GAP(g^c(x_a)))
    let figure: [Float]
    /// ReLU(sum_c A^c(x_a) GAP(g^c(x_a)))
    let authors: [Float]
}

/// An exact fraction k/m in lowest terms, so path points of m and 2m steps
/// coincide in the cache.
struct Fraction: Hashable {
    let num: Int, den: Int
    init(_ n: Int, _ d: Int) {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = max(gcd(n, d), 1)
        num = n / g; den = d / g
    }
    var value: Float { Float(num) / Float(den) }
}
