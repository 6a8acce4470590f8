import Foundation
import IGEngine
import IGExplain
import IGImaging
import IGModel

/// One explained (image, class, method) and every metric of it.
public struct EvaluationRow: Sendable, Equatable {
    public var imageID: String
    public var className: String
    public var classIndex: Int
    public var method: String
    public var ebpg: Float
    public var bbox: Float
    public var pointingHit: Bool
    /// Softmax probability of the class on the image (Y) and on map ⊙ image (O).
    public var y: Float
    public var o: Float
    public var deletion: Float
    public var insertion: Float
    /// Time of the explanation alone, in milliseconds.
    public var ms: Double

    public static let csvHeader = "image,class_name,class_index,method,ebpg,bbox,pointing_hit,y_prob,o_prob,deletion_auc,insertion_auc,ms"

    public var csvLine: String {
        [imageID, className, String(classIndex), method, "\(ebpg)", "\(bbox)", pointingHit ? "1" : "0",
         "\(y)", "\(o)", "\(deletion)", "\(insertion)", String(format: "%.3f", ms)].joined(separator: ",")
    }

    /// Parses a line written by `csvLine` (nil for the header or a damaged line).
    public init?(csvLine line: String) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 12, let ci = Int(f[2]), let e = Float(f[4]), let b = Float(f[5]), let y = Float(f[7]),
              let o = Float(f[8]), let d = Float(f[9]), let i = Float(f[10]), let ms = Double(f[11]) else { return nil }
        self.init(imageID: f[0], className: f[1], classIndex: ci, method: f[3], ebpg: e, bbox: b, pointingHit: f[6] == "1",
                  y: y, o: o, deletion: d, insertion: i, ms: ms)
    }

    public init(imageID: String, className: String, classIndex: Int, method: String, ebpg: Float, bbox: Float,
                pointingHit: Bool, y: Float, o: Float, deletion: Float, insertion: Float, ms: Double) {
        self.imageID = imageID; self.className = className; self.classIndex = classIndex; self.method = method
        self.ebpg = ebpg; self.bbox = bbox; self.pointingHit = pointingHit; self.y = y; self.o = o
        self.deletion = deletion; self.insertion = insertion; self.ms = ms
    }

    /// What identifies a row for --resume.
    public var key: String { "\(imageID)|\(className)|\(method)" }
}

/// One line of the paper's table: a method's metrics over every pair.
public struct MethodSummary: Sendable {
    public var method: String
    public var pairs: Int
    public var ebpg: Float
    public var bbox: Float
    public var drop: Float
    public var increase: Float
    public var pointing: Float
    public var deletion: Float
    public var insertion: Float
    public var msPerImage: Double

    /// Means over rows (percentages for EBPG, Bbox, Drop, Increase, pointing game).
    public static func summarize(_ rows: [EvaluationRow], methods: [String]) throws -> [MethodSummary] {
        try methods.compactMap { m in
            let r = rows.filter { $0.method == m }
            guard !r.isEmpty else { return nil }
            let n = Float(r.count)
            func mean(_ f: (EvaluationRow) -> Float) -> Float { r.reduce(0) { $0 + f($1) } / n }
            let hits = Float(r.filter(\.pointingHit).count)
            return MethodSummary(method: m, pairs: r.count, ebpg: 100 * mean(\.ebpg), bbox: 100 * mean(\.bbox),
                                 drop: try averageDrop(y: r.map(\.y), o: r.map(\.o)),
                                 increase: try increaseInConfidence(y: r.map(\.y), o: r.map(\.o)),
                                 pointing: 100 * hits / n, deletion: mean(\.deletion), insertion: mean(\.insertion),
                                 msPerImage: r.reduce(0) { $0 + $1.ms } / Double(r.count))
        }
    }
}

/// Runs every method on every (image, annotated class) of a VOC-layout
/// dataset and scores it.
public final class Evaluator {
    public let model: Model
    public let methods: [Method]
    public let layer: String
    public let options: ExplainOptions
    public let includeDifficult: Bool
    /// Batch size for the deletion/insertion and masked-image passes.
    public var batchSize = 32

    public init(model: Model, methods: [Method], layer: String, options: ExplainOptions, includeDifficult: Bool) {
        self.model = model; self.methods = methods; self.layer = layer
        self.options = options; self.includeDifficult = includeDifficult
    }

    /// What happened to the items that produced no rows.
    public struct Skip: Sendable { public var id: String; public var reason: String }

    /// Evaluates one image. Rows whose key is in `done` are not recomputed.
    public func evaluate(item: VOCItem, annotation: VOCAnnotation, classMap: ClassMap, done: Set<String>,
                         onRow: (EvaluationRow) throws -> Void) throws -> [Skip] {
        let img = try loadImage(path: item.imagePath)
        let pixels = model.pixels(img)
        let logits = try Explainer(model: model, pixels: pixels).logits().data
        let probs = softmax(logits)
        var skips = [Skip]()
        var names = [String]()
        for o in annotation.objects where (includeDifficult || !o.difficult) && !names.contains(o.name) { names.append(o.name) }
        for name in names {
            guard let cls = classMap.target(for: name, scores: logits) else {
                skips.append(Skip(id: item.id, reason: "class '\(name)' has no class in the model's class map"))
                continue
            }
            for m in methods where !done.contains("\(item.id)|\(name)|\(m.rawValue)") {
                // A fresh explainer per method, so each method's time includes its own passes.
                let ex = Explainer(model: model, pixels: pixels)
                let e = try ex.explain(m, layer: layer, classIndex: cls, options: options)
                let loc = try localisationScores(raw: e.map, height: e.height, width: e.width, annotation: annotation,
                                                 className: name, includeDifficult: includeDifficult,
                                                 imageWidth: img.width, imageHeight: img.height,
                                                 resize: model.preprocessing.resize,
                                                 inputHeight: model.preprocessing.height, inputWidth: model.preprocessing.width)
                let p = model.preprocessing
                let up = upsampleBilinear(e.map, height: e.height, width: e.width, toHeight: p.height, toWidth: p.width)
                let o = try probability(of: cls, on: [maskedImage(chw: ex.pixels, map01: minMaxNormalize(up))])[0]
                let del = try curve(.deletion, pixels: ex.pixels, map: up, cls: cls)
                let ins = try curve(.insertion, pixels: ex.pixels, map: up, cls: cls)
                try onRow(EvaluationRow(imageID: item.id, className: name, classIndex: cls, method: m.rawValue,
                                        ebpg: loc.ebpg, bbox: loc.bbox, pointingHit: loc.pointingHit, y: probs[cls], o: o,
                                        deletion: auc(del), insertion: auc(ins), ms: e.seconds * 1000))
            }
        }
        return skips
    }

    /// Runs each method once on an image, untimed, so that the engine's
    /// one-time set-up (plans per batch size) is not charged to the first image.
    public func warmUp(imagePath: String) throws {
        let ex = Explainer(model: model, image: try loadImage(path: imagePath))
        let cls = try ex.top(1)[0].classIndex
        for m in methods where !m.isProgressive || m == .integratedGradCAM {
            _ = try ex.explain(m, layer: layer, classIndex: cls, options: options)
        }
        _ = try probability(of: cls, on: [[Float]](repeating: ex.pixels, count: batchSize))
    }

    /// Softmax probability of `cls` on pixel-space images.
    func probability(of cls: Int, on images: [[Float]]) throws -> [Float] {
        let batch = Tensor.batch(images.map { model.normalize($0) })
        let logits = try model.engine.forward(batch)
        let k = logits.count / images.count
        return (0..<images.count).map { softmax(Array(logits.data[$0 * k ..< ($0 + 1) * k]))[cls] }
    }

    /// The class probability after each deletion/insertion step.
    func curve(_ mode: PerturbationMode, pixels: [Float], map: [Float], cls: Int) throws -> [Float] {
        let p = model.preprocessing
        let plan = try PerturbationPlan(chw: pixels, channels: 3, height: p.height, width: p.width, map: map, mode: mode)
        var out = [Float]()
        let per = 3 * p.height * p.width
        for b in plan.batches(size: batchSize) {
            out += try probability(of: cls, on: (0..<b.count).map { Array(b.data[$0 * per ..< ($0 + 1) * per]) })
        }
        return out
    }
}
