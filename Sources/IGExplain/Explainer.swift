import Foundation
import IGEngine
import IGImaging
import IGModel

/// Explains one image under one model, with every method, caching the
/// passes it has made so that another class, method or a larger m reuses
/// them. The shared machinery lives here (passes, caches, micro-batching,
/// progress, cancellation); each method says only how its map is made.
///
/// Sendable by hand (`@unchecked`): the stored `let`s are immutable (and
/// `Model` is Sendable), and every `var` (the caches) is read and written
/// only inside `locked` / `withCache`, under `lock`. The viewer's job
/// thread and the callers' progress handlers may then share one explainer.
public final class Explainer: @unchecked Sendable {
    public let model: Model
    /// The image in pixel space [0, 1], CHW at the model's input size.
    public let pixels: [Float]
    /// The normalised network input [1, 3, H, W].
    public let input: Tensor

    let lock = NSLock()
    var logitsCache: Tensor?
    /// (layer, class) -> activation, gradient at the image (every one-pass method).
    var gradientCache: [GradientKey: (a: Tensor, g: Tensor)] = [:]
    /// layer -> activation at the image and what the head after it reads (Score-CAM, Ablation-CAM).
    var forwardCache: [String: [String: Tensor]] = [:]
    /// Each method's own cache, by its type (see `withCache`).
    var methodCaches: [ObjectIdentifier: Any] = [:]

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

    /// Keeps `l` as the image's logits unless some pass already did.
    func rememberLogits(_ l: Tensor) {
        locked { if logitsCache == nil { logitsCache = l } }
    }

    /// Top-k predictions on the image.
    public func top(_ k: Int) throws -> [Prediction] { model.top(try logits(), k: k)[0] }

    /// The class to explain when none is given: the top-1 prediction, from
    /// the logits if a pass has already been made, else found by the method
    /// with the passes it would make anyway (`ExplanationMethod.defaultClass`).
    public func defaultClass(for method: Method, layer: String) throws -> Int {
        if let l = locked({ logitsCache }) { return model.top(l, k: 1)[0][0].classIndex }
        return try method.definition.defaultClass(self, layer: layer)
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
        let job = MapJob(layer: layer, classIndex: classIndex, channels: shape[0], height: shape[1], width: shape[2],
                         options: options, progress: progress, cancel: cancel)
        let map = try method.definition.map(in: self, job)
        let logits = try self.logits()
        let probs = softmax(logits.data)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Explanation(method: method, layer: layer, classIndex: classIndex, label: model.label(classIndex),
                           score: logits.data[classIndex], probability: probs[classIndex], map: map,
                           height: job.height, width: job.width, options: options, seconds: seconds,
                           scaling: method.definition.scaling(options))
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

    /// The gradient pass for the image's own top-1 class (`topPrediction`: the
    /// engine picks it after the forward), cached like `gradientAtImage`; returns the class.
    func gradientAtTopClass(layer: String) throws -> Int {
        let r = try model.engine.gradient(input, layer: layer, classes: [topPrediction], capture: [])
        let cls = model.top(r.output, k: 1)[0][0].classIndex
        // The seed and the ranking both take the first of equal logits: the gradient is cls's.
        locked {
            if logitsCache == nil { logitsCache = r.output }
            gradientCache[GradientKey(layer: layer, classIndex: cls)] = (r.activation, r.gradient)
        }
        return cls
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

    /// Runs `body` on the cache of type `C` (created empty on first use),
    /// under the explainer's lock: each method keeps what it reuses between
    /// calls in a cache type declared in its own file.
    func withCache<C: MethodCache, R>(_ type: C.Type, _ body: (inout C) throws -> R) rethrows -> R {
        try locked {
            // Taken out while in use, so the mutation does not copy it.
            var c = methodCaches.removeValue(forKey: ObjectIdentifier(C.self)) as? C ?? C()
            defer { methodCaches[ObjectIdentifier(C.self)] = c }
            return try body(&c)
        }
    }
}

/// What a method keeps between calls on one Explainer (one image).
protocol MethodCache { init() }

struct GradientKey: Hashable { let layer: String; let classIndex: Int }
