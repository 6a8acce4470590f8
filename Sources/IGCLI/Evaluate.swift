import ArgumentParser
import Foundation
import IGEval
import IGExplain
import IGImaging
import IGModel

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score methods on a PASCAL-VOC-layout dataset: the paper's table (EBPG, Bbox, Drop, Increase, ...).",
        discussion: """
            For every image of the split and every annotated class the class map links to a model class, each method \
            explains that class (the highest-scoring mapped class when several are mapped) and every metric is scored. \
            Prints one row per method and appends per-image rows to a CSV (--results) as it goes; --resume skips the \
            rows already there. Without --voc, runs on the bundled evaluation set. Images are stretched to the input \
            size (as the paper's authors did) unless --resize crop is given. \
            Drop and Increase use the softmax probability of the class. Deletion and insertion remove (set to 0) or \
            insert (into a blurred copy, sigma 5) input pixels in order of saliency, 224 pixels a step at 224x224.
            """)

    @Option(name: .long, help: "Dataset root with Annotations/, JPEGImages/, ImageSets/Main/ (default: the bundled set).")
    var voc: String?

    @Option(name: .long, help: "Split: ImageSets/Main/<split>.txt.")
    var split: String = "test"

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("class-map"), help: "JSON: annotation name -> list of model class indices (default: ROOT/classmap-imagenet.json).")
    var classMap: String?

    @Option(name: .long, help: "Methods, comma-separated (default: all eight).")
    var methods: String = Method.allCases.map(\.rawValue).joined(separator: ",")

    @Option(name: .long, help: "Target layer (default: the model's).")
    var layer: String?

    @Option(name: .long, help: "Integrated Grad-CAM steps m.")
    var steps: Int = 50

    @Option(name: .long, help: "Evaluate at most N images.")
    var limit: Int?

    @Option(name: .long, help: "Table format: markdown, csv or json.")
    var format: String = "markdown"

    @Option(name: .long, help: "Per-image results CSV (default: evaluation-<split>.csv in the current folder).")
    var results: String?

    @Flag(name: .long, help: "Keep the rows already in the results CSV and compute only the rest.")
    var resume = false

    @Flag(name: .long, help: "Keep objects marked difficult.")
    var difficult = false

    func run() throws {
        guard ["markdown", "csv", "json"].contains(format) else { throw CLIError("unknown format '\(format)' (choose: markdown, csv, json)") }
        guard steps >= 1 else { throw CLIError("--steps must be at least 1") }
        if let limit, limit < 1 { throw CLIError("--limit must be at least 1") }
        let methodList = try methods.split(separator: ",").map { n -> Method in
            guard let m = Method(name: String(n)) else { throw CLIError("unknown method '\(n)'") }
            return m
        }
        guard let root = voc ?? Assets.directory.map({ $0 + "/voc" }) else { throw CLIError("no dataset: pass --voc ROOT") }
        var opts = modelOptions
        if opts.resize == nil { opts.resize = "stretch" }
        let model = try opts.load()
        let targetLayer = try model.layer(layer)
        let dataset = try VOCDataset(root: root, split: split)
        let mapPath = classMap ?? root + "/classmap-imagenet.json"
        let cmap = try ClassMap(path: mapPath)
        let resultsPath = results ?? "evaluation-\(split).csv"

        var rows = [EvaluationRow]()
        if resume, let text = try? String(contentsOfFile: resultsPath, encoding: .utf8) {
            rows = text.split(separator: "\n").compactMap { EvaluationRow(csvLine: String($0)) }
            writeStderr("resuming: \(rows.count) rows already in \(resultsPath)\n")
        }
        let sink = try ResultsFile(path: resultsPath, fresh: !resume || rows.isEmpty)
        let done = Set(rows.map(\.key))
        let items = Array(dataset.items.prefix(limit ?? Int.max))
        var skips = dataset.skipped.map { "\($0.id): \($0.reason)" }
        let evaluator = Evaluator(model: model, methods: methodList, layer: targetLayer,
                                  options: ExplainOptions(steps: steps), includeDifficult: difficult)
        if let first = items.first { try? evaluator.warmUp(imagePath: first.imagePath) }
        let bar = ProgressBar(total: items.count)
        let start = Date()
        for (i, item) in items.enumerated() {
            bar.update(done: i, elapsed: Date().timeIntervalSince(start))
            do {
                let ann = try dataset.annotation(for: item)
                let s = try evaluator.evaluate(item: item, annotation: ann, classMap: cmap, done: done) { row in
                    rows.append(row)
                    try sink.append(row)
                }
                skips += s.map { "\($0.id): \($0.reason)" }
            } catch {
                skips.append("\(item.id): skipped: \(error)")
            }
        }
        bar.finish(done: items.count, elapsed: Date().timeIntervalSince(start))
        let table = try MethodSummary.summarize(rows, methods: methodList.map(\.rawValue))
        print(render(table))
        let images = Set(rows.map(\.imageID)).count
        writeStderr("\(images) images, \(rows.count / max(methodList.count, 1)) image-class pairs, \(skips.count) skipped; results in \(resultsPath); \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n")
        for s in skips { writeStderr("  skipped \(s)\n") }
        if rows.isEmpty { throw CLIError("nothing was evaluated") }
    }

    func render(_ t: [MethodSummary]) -> String {
        let cols = ["method", "pairs", "EBPG %", "Bbox %", "Drop % (lower)", "Increase %", "Pointing %",
                    "Deletion (lower)", "Insertion", "ms/image"]
        let rows = t.map { s in
            [s.method, String(s.pairs), f(s.ebpg), f(s.bbox), f(s.drop), f(s.increase), f(s.pointing),
             String(format: "%.4f", Double(s.deletion)), String(format: "%.4f", Double(s.insertion)), String(format: "%.1f", s.msPerImage)]
        }
        switch format {
        case "csv":
            return ([cols] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n")
        case "json":
            let objs = t.map { s -> [String: Any] in
                ["method": s.method, "pairs": s.pairs, "ebpg": Double(s.ebpg), "bbox": Double(s.bbox), "drop": Double(s.drop),
                 "increase": Double(s.increase), "pointing": Double(s.pointing), "deletion": Double(s.deletion),
                 "insertion": Double(s.insertion), "ms_per_image": s.msPerImage]
            }
            let data = (try? JSONSerialization.data(withJSONObject: objs, options: [.prettyPrinted, .sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        default:
            let line = { (r: [String]) in "| " + r.joined(separator: " | ") + " |" }
            return ([line(cols), line(cols.map { _ in "---" })] + rows.map(line)).joined(separator: "\n")
        }
    }

    func f(_ v: Float) -> String { String(format: "%.2f", Double(v)) }
}

/// The per-image CSV: a header, then one complete line per row, flushed as
/// it is written, so an interrupted run leaves only whole rows behind.
final class ResultsFile {
    let handle: FileHandle
    init(path: String, fresh: Bool) throws {
        let fm = FileManager.default
        if fresh || !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: Data((EvaluationRow.csvHeader + "\n").utf8)) else {
                throw CLIError("\(path): cannot create the results file")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw CLIError("\(path): cannot open for writing") }
        handle = h
        handle.seekToEndOfFile()
    }
    func append(_ row: EvaluationRow) throws {
        try handle.write(contentsOf: Data((row.csvLine + "\n").utf8))
    }
    deinit { try? handle.close() }
}

/// A one-line progress bar with an estimate of the time left, on stderr.
struct ProgressBar {
    let total: Int
    let tty = isatty(2) == 1
    func update(done: Int, elapsed: Double) {
        guard total > 0 else { return }
        let width = 30, filled = width * done / total
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(done)/\(total) images" + (done > 0 ? String(format: "  %.0f s left", eta) : "")
        writeStderr(tty ? "\r" + line : line + "\n")
    }
    func finish(done: Int, elapsed: Double) {
        update(done: done, elapsed: elapsed)
        if tty { writeStderr("\n") }
    }
}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a map from any tool (.npy, h x w) against a VOC annotation: EBPG, Bbox, pointing game.",
        discussion: """
            The map is taken to cover the whole image (a stretched input) unless --resize crop is given; it is \
            upsampled bilinearly to the image size, negatives clipped, exactly as igcam evaluate does.
            """)

    @Option(name: .long, help: "The map, float32 or float64 .npy of shape (h, w).")
    var map: String

    @Option(name: .long, help: "VOC annotation XML.")
    var annotation: String

    @Option(name: .long, help: "The annotated class to score against (e.g. cat).")
    var name: String

    @Option(name: .long, help: "Image size WxH (default: the annotation's).")
    var size: String?

    @Option(name: .long, help: "How the model saw the image: stretch or crop.")
    var resize: String = "stretch"

    @Option(name: .customLong("input-size"), help: "Model input size HxW, used with --resize crop.")
    var inputSize: String = "224x224"

    @Flag(name: .long, help: "Keep objects marked difficult.")
    var difficult = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let (shape, data) = try readNPY(path: map)
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { throw CLIError("\(map): expected a 2-D map, got shape \(shape)") }
        let ann = try VOCAnnotation(contentsOf: annotation)
        guard ann.objects.contains(where: { $0.name == name }) else {
            let known = Set(ann.objects.map(\.name)).sorted().joined(separator: ", ")
            throw CLIError("\(annotation): no object named '\(name)' (has: \(known))")
        }
        guard let mode = ResizeMode(rawValue: resize) else { throw CLIError("unknown resize mode '\(resize)'") }
        var w = ann.width, h = ann.height
        if let size {
            let p = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else { throw CLIError("--size must be WxH, e.g. 500x375") }
            (w, h) = (p[0], p[1])
        }
        let ip = inputSize.lowercased().split(separator: "x").compactMap { Int($0) }
        guard ip.count == 2, ip[0] > 0, ip[1] > 0 else { throw CLIError("--input-size must be HxW, e.g. 224x224") }
        let s = try localisationScores(raw: data, height: shape[0], width: shape[1], annotation: ann, className: name,
                                       includeDifficult: difficult, imageWidth: w, imageHeight: h, resize: mode,
                                       inputHeight: ip[0], inputWidth: ip[1])
        if json {
            try printJSON(["ebpg": Double(s.ebpg), "bbox": Double(s.bbox), "pointing_hit": s.pointingHit, "name": name,
                           "image_size": [w, h]])
        } else {
            print(String(format: "EBPG %.4f  Bbox %.4f  pointing game %@", Double(s.ebpg), Double(s.bbox), s.pointingHit ? "hit" : "miss"))
        }
    }
}
