import Foundation
import IGEngine
import IGExplain
import IGImaging
import IGModel

/// One explained (image, class, method) and every metric of it, or the error that
/// stopped it (`error` non-empty, metrics NaN).
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
    /// Wall time of the whole row (explanation and every metric), in milliseconds: what a
    /// pair costs per method, for planning a cluster run (docs/SCALE.md).
    public var pairMs: Double = 0
    /// Why this pair and method has no metrics; empty for a scored row.
    public var error: String = ""

    public static let columns = ["image", "class_name", "class_index", "method", "ebpg", "bbox", "pointing_hit",
                                 "y_prob", "o_prob", "deletion_auc", "insertion_auc", "ms", "pair_ms", "error"]

    /// The fields of the row's CSV record. Floats are written in Swift's shortest form that
    /// reads back to the same bits, so a table summed from the file equals one summed in memory.
    public var fields: [String] {
        guard error.isEmpty else {
            return [imageID, className, String(classIndex), method, "", "", "", "", "", "", "", "", "", error]
        }
        return [imageID, className, String(classIndex), method, "\(ebpg)", "\(bbox)", pointingHit ? "1" : "0",
                "\(y)", "\(o)", "\(deletion)", "\(insertion)", String(format: "%.3f", ms), String(format: "%.1f", pairMs), ""]
    }

    /// Parses the fields of a record written from `fields` (nil when they are not such a record).
    public init?(fields f: [String]) {
        guard f.count == EvaluationRow.columns.count, let ci = Int(f[2]) else { return nil }
        if !f[13].isEmpty {
            self.init(imageID: f[0], className: f[1], classIndex: ci, method: f[3], ebpg: .nan, bbox: .nan, pointingHit: false,
                      y: .nan, o: .nan, deletion: .nan, insertion: .nan, ms: 0, error: f[13])
            return
        }
        guard let e = Float(f[4]), let b = Float(f[5]), f[6] == "1" || f[6] == "0", let y = Float(f[7]),
              let o = Float(f[8]), let d = Float(f[9]), let i = Float(f[10]), let ms = Double(f[11]),
              let pms = Double(f[12]) else { return nil }
        self.init(imageID: f[0], className: f[1], classIndex: ci, method: f[3], ebpg: e, bbox: b, pointingHit: f[6] == "1",
                  y: y, o: o, deletion: d, insertion: i, ms: ms)
        pairMs = pms
    }

    public init(imageID: String, className: String, classIndex: Int, method: String, ebpg: Float, bbox: Float,
                pointingHit: Bool, y: Float, o: Float, deletion: Float, insertion: Float, ms: Double, error: String = "") {
        self.imageID = imageID; self.className = className; self.classIndex = classIndex; self.method = method
        self.ebpg = ebpg; self.bbox = bbox; self.pointingHit = pointingHit; self.y = y; self.o = o
        self.deletion = deletion; self.insertion = insertion; self.ms = ms; self.error = error
    }

    /// A row for a pair and method that could not be scored.
    public static func failed(_ pair: EvaluationPair, method: String, classIndex: Int = -1, error: String) -> EvaluationRow {
        EvaluationRow(imageID: pair.imageID, className: pair.className, classIndex: classIndex, method: method,
                      ebpg: .nan, bbox: .nan, pointingHit: false, y: .nan, o: .nan, deletion: .nan, insertion: .nan,
                      ms: 0, error: error.replacingOccurrences(of: "\n", with: " "))
    }

    public var pair: EvaluationPair { EvaluationPair(imageID: imageID, className: className) }

    /// What identifies a row: one per (image, class, method).
    public var key: RowKey { RowKey(pair: pair, method: method) }

    public static func == (a: EvaluationRow, b: EvaluationRow) -> Bool { a.fields == b.fields }
}

/// (image, class, method): a row's identity.
public struct RowKey: Hashable, Sendable {
    public var pair: EvaluationPair
    public var method: String
    public init(pair: EvaluationPair, method: String) { self.pair = pair; self.method = method }
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

    /// Means over the scored rows (percentages for EBPG, Bbox, Drop, Increase, pointing game),
    /// summed in the canonical pair order whatever order `rows` come in, so a single run and a
    /// merge of shards give the same bits. Rows with an error are left out.
    public static func summarize(_ rows: [EvaluationRow], methods: [String]) throws -> [MethodSummary] {
        let sorted = rows.filter { $0.error.isEmpty }.sorted { EvaluationPair.canonicallyPrecedes($0.pair, $1.pair) }
        return try methods.compactMap { m in
            let r = sorted.filter { $0.method == m }
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

    /// Evaluates the given annotated classes of one image with every method, calling `onRow`
    /// for each (class, method) whose key is not in `done`. A class or method that fails gives
    /// a row with the error; a failure to read the image gives such a row for every class.
    public func evaluate(item: VOCItem, annotation: VOCAnnotation, classNames: [String], classMap: ClassMap,
                         done: Set<RowKey>, onRow: (EvaluationRow) throws -> Void) throws {
        let todo = classNames.map { EvaluationPair(imageID: item.id, className: $0) }
        func pending(_ p: EvaluationPair) -> [Method] { methods.filter { !done.contains(RowKey(pair: p, method: $0.name)) } }
        guard todo.contains(where: { !pending($0).isEmpty }) else { return }
        let img: RGBImage, pixels: [Float], logits: [Float]
        do {
            img = try loadImage(path: item.imagePath)
            pixels = model.pixels(img)
            logits = try Explainer(model: model, pixels: pixels).logits().data
        } catch {
            for p in todo { for m in pending(p) { try onRow(.failed(p, method: m.name, error: "\(error)")) } }
            return
        }
        let probs = softmax(logits)
        for pair in todo {
            let name = pair.className
            guard let cls = classMap.target(for: name, scores: logits) else {
                for m in pending(pair) {
                    try onRow(.failed(pair, method: m.name, error: "class '\(name)' maps to no class among the model's \(logits.count)"))
                }
                continue
            }
            for m in pending(pair) {
                var row: EvaluationRow
                let rowStart = Date()
                do {
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
                    let o = try probability(of: cls, on: [maskedImage(chw: ex.pixels, map01: normalizeMinMax(up))])[0]
                    let del = try curve(.deletion, pixels: ex.pixels, map: up, cls: cls)
                    let ins = try curve(.insertion, pixels: ex.pixels, map: up, cls: cls)
                    row = EvaluationRow(imageID: item.id, className: name, classIndex: cls, method: m.name,
                                        ebpg: loc.ebpg, bbox: loc.bbox, pointingHit: loc.pointingHit, y: probs[cls], o: o,
                                        deletion: auc(del), insertion: auc(ins), ms: e.seconds * 1000)
                    row.pairMs = Date().timeIntervalSince(rowStart) * 1000
                } catch {
                    row = .failed(pair, method: m.name, classIndex: cls, error: "\(error)")
                }
                try onRow(row)
            }
        }
    }

    /// Runs each method once on an image, untimed, so that the engine's
    /// one-time set-up (plans per batch size) is not charged to the first image.
    public func warmUp(imagePath: String) throws {
        let ex = Explainer(model: model, image: try loadImage(path: imagePath))
        let cls = try ex.top(1)[0].classIndex
        for m in methods where !m.passesPerChannel {
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
