import ArgumentParser
import Foundation
import IGEval
import IGExplain
import IGImaging
import IGModel

/// How a table is printed.
enum TableFormat: String, ExpressibleByArgument, CaseIterable {
    case markdown, csv, json
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score methods on a PASCAL-VOC-layout dataset: the paper's table (EBPG, Bbox, Drop, Increase, ...).",
        discussion: """
            For every image of the split and every annotated class the class map links to a model class, each method \
            explains that class (the highest-scoring mapped class when several are mapped) and every metric is scored. \
            Prints one row per method and appends per-pair rows to a CSV (--results) as it goes, after a header that \
            records the configuration; --resume skips the rows already there and refuses a file of another \
            configuration. Without --voc, runs on the bundled evaluation set. Images are stretched to the input \
            size (as the paper's authors did) unless --resize crop is given. \
            Drop and Increase use the softmax probability of the class. Deletion and insertion remove (set to 0) or \
            insert (into a blurred copy, sigma 5) input pixels in order of saliency, 224 pixels a step at 224x224.

            On a cluster: --shard K/N (K from 0) evaluates one of N equal parts of the (image, class) pairs; inside a \
            Slurm array job K and N come from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, in a Kubernetes Indexed Job \
            from JOB_COMPLETION_INDEX and --shards N. Each shard writes its own CSV.

            igcam evaluate merge SHARD.csv... [--format F] joins the shards' CSVs: it checks that every file has the \
            same configuration (model hash, layer, options, dataset), that the shards of each method set are 0..N-1 \
            of one N, and that together they cover every (image, class) pair exactly once and finished, naming what \
            is missing or duplicated otherwise; then prints the table. It is summed in the same canonical pair order \
            as a single-process run, so every metric column equals it to the last digit; ms/image is the mean of the \
            recorded explanation times, which differ from run to run (docs/SCALE.md).
            """)

    /// `merge SHARD.csv...` (a positional form, not an ArgumentParser subcommand: a subcommand
    /// cannot have an option of the same name as its parent's, and both need --format).
    @Argument(help: ArgumentHelp("merge SHARD.csv...: join the shards' results files (see below).", valueName: "merge files"))
    var merge: [String] = []

    @Option(name: .long, help: "Dataset root with Annotations/, JPEGImages/, ImageSets/Main/ (default: the bundled set).")
    var voc: String?

    @Option(name: .long, help: "Split: ImageSets/Main/<split>.txt.")
    var split: String = "test"

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("class-map"), help: "JSON: annotation name -> list of model class indices (default: ROOT/classmap-imagenet.json).")
    var classMap: String?

    @Option(name: .long, help: "Methods (or aliases), comma-separated.")
    var methods: MethodList = MethodList(Method.allCases)

    @Option(name: .long, help: "Target layer (default: the model's).")
    var layer: String?

    @Option(name: .long, help: "Integrated Grad-CAM steps m.")
    var steps: Int = 50

    @Option(name: .long, help: "Integrated Grad-CAM baseline.")
    var baseline: Baseline = .black

    @Option(name: .long, help: "Integrated Grad-CAM reading.")
    var reading: Reading = .figure

    @Option(name: .long, help: "Evaluate at most the first N listed images.")
    var limit: Int?

    @Option(name: .long, help: "Table format.")
    var format: TableFormat = .markdown

    @Option(name: .long, help: "Per-pair results CSV (default: evaluation-<split>.csv, or evaluation-<split>-shard-K-of-N.csv for a shard).")
    var results: String?

    @Flag(name: .long, help: "Keep the rows already in the results CSV and compute only the rest.")
    var resume = false

    @Flag(name: .long, help: "Keep objects marked difficult.")
    var difficult = false

    @Option(name: .long, help: "Evaluate shard K of N (K = 0..N-1) of the (image, class) pairs.")
    var shard: String?

    @Option(name: .long, help: "The number of shards N when K comes from the scheduler (Slurm array, Kubernetes JOB_COMPLETION_INDEX).")
    var shards: Int?

    func validate() throws {
        if let word = merge.first {
            guard word == "merge" else { throw ValidationError("unexpected argument '\(word)' (did you mean: igcam evaluate merge SHARD.csv...?)") }
            guard merge.count > 1 else { throw ValidationError("give the shards' results files: igcam evaluate merge SHARD.csv...") }
            let given = [("--voc", voc != nil), ("--results", results != nil), ("--resume", resume), ("--shard", shard != nil),
                         ("--shards", shards != nil), ("--limit", limit != nil)].filter(\.1).map(\.0)
            if !given.isEmpty { throw ValidationError("evaluate merge takes only the files and --format, not \(given.joined(separator: ", "))") }
            return
        }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)".replacingOccurrences(of: "invalid argument: ", with: "")) } }
        if shard != nil, shards != nil { throw ValidationError("give --shard K/N or --shards N, not both") }
        _ = try parsedMethods()
        _ = try explainOptions()
    }

    func parsedMethods() throws -> [Method] { try MethodList.joined([methods]) }

    func explainOptions() throws -> ExplainOptions { ExplainOptions(steps: steps, baseline: baseline, reading: reading) }

    /// The shard: --shard, else the scheduler's environment, else the whole set.
    func resolveShard() throws -> Shard {
        if let shard { return try Shard(parsing: shard) }
        do {
            guard let (s, origin) = try Shard.fromEnvironment(ProcessInfo.processInfo.environment, shards: shards) else { return .whole }
            writeStderr("shard \(s) (\(origin))\n")
            return s
        } catch let e as EvalError {
            throw ValidationError("\(e)".replacingOccurrences(of: "invalid argument: ", with: ""))
        }
    }

    func run() throws {
        if merge.first == "merge" { return try runMerge(files: Array(merge.dropFirst())) }
        let methodList = try parsedMethods()
        let options = try explainOptions()
        let shard = try resolveShard()
        guard let root = voc ?? Assets.directory.map({ $0 + "/voc" }) else { throw CLIError("no dataset: pass --voc ROOT") }
        var opts = modelOptions
        if opts.resize == nil { opts.resize = .stretch }
        let model = try opts.load()
        let targetLayer = try model.layer(layer)
        let dataset = try VOCDataset(root: root, split: split)
        let mapPath = classMap ?? root + "/classmap-imagenet.json"
        let cmap = try ClassMap(path: mapPath)
        let resultsPath = results ?? (shard.count == 1 ? "evaluation-\(split).csv"
                                                         : "evaluation-\(split)-shard-\(shard.index)-of-\(shard.count).csv")
        var info = ["threads": opts.threads.map(String.init) ?? "all cores"]
        info["backend_option"] = opts.backend.rawValue
        let evaluation = try EvaluationRun(EvaluationSetup(
            model: model, dataset: dataset, classMap: cmap, classMapPath: mapPath, methods: methodList, layer: targetLayer,
            options: options, includeDifficult: difficult, limit: limit, shard: shard, resultsPath: resultsPath,
            resume: resume, info: info))
        let bar = ProgressBar()
        let outcome = try evaluation.run(note: { writeStderr($0 + "\n") }, progress: bar.update)
        bar.finish()
        print(render(outcome.table, format: format))
        let images = Set(outcome.rows.filter { $0.error.isEmpty }.map(\.imageID)).count
        let pairs = Set(outcome.rows.filter { $0.error.isEmpty }.map(\.pair)).count
        let part = shard.count == 1 ? "" : "shard \(shard) (\(outcome.pairsInShard) of \(outcome.pairsTotal) pairs): "
        writeStderr(part + "\(images) images, \(pairs) image-class pairs, \(outcome.skips.count) skipped; results in \(resultsPath); "
                    + "\(String(format: "%.1f", outcome.seconds)) s\n")
        for s in outcome.skips { writeStderr("  skipped \(s)\n") }
        if outcome.pairsInShard == 0 && shard.count > 1 {
            writeStderr("shard \(shard) has no pairs (more shards than pairs); its results file is still written for the merge\n")
        } else if outcome.table.isEmpty {
            throw CLIError("nothing was evaluated")
        }
    }
}

extension Evaluate {
    func runMerge(files: [String]) throws {
        let r = try ShardMerge.merge(paths: files)
        for n in r.notes { writeStderr(n + "\n") }
        print(render(r.table, format: format))
        let pairs = Set(r.rows.filter { $0.error.isEmpty }.map(\.pair)).count
        let failed = r.rows.filter { !$0.error.isEmpty }
        writeStderr("merged \(files.count) files: \(r.header["pairs_total"] ?? "?") pairs in the dataset, \(pairs) scored, "
                    + "\(failed.count) rows with errors\n")
        for f in failed { writeStderr("  skipped \(f.imageID): \(f.className), \(f.method): \(f.error)\n") }
        if r.table.isEmpty { throw CLIError("nothing was evaluated in these files") }
    }
}

func render(_ t: [MethodSummary], format: TableFormat) -> String {
    func f(_ v: Float) -> String { String(format: "%.2f", Double(v)) }
    let cols = ["method", "pairs", "EBPG %", "Bbox %", "Drop % (lower)", "Increase %", "Pointing %",
                "Deletion (lower)", "Insertion", "ms/image"]
    let rows = t.map { s in
        [s.method, String(s.pairs), f(s.ebpg), f(s.bbox), f(s.drop), f(s.increase), f(s.pointing),
         String(format: "%.4f", Double(s.deletion)), String(format: "%.4f", Double(s.insertion)), String(format: "%.1f", s.msPerImage)]
    }
    switch format {
    case .csv:
        return ([cols] + rows).map { $0.map(CSV.field).joined(separator: ",") }.joined(separator: "\n")
    case .json:
        let objs = t.map { s -> [String: Any] in
            ["method": s.method, "pairs": s.pairs, "ebpg": Double(s.ebpg), "bbox": Double(s.bbox), "drop": Double(s.drop),
             "increase": Double(s.increase), "pointing": Double(s.pointing), "deletion": Double(s.deletion),
             "insertion": Double(s.insertion), "ms_per_image": s.msPerImage]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objs, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    case .markdown:
        let line = { (r: [String]) in "| " + r.joined(separator: " | ") + " |" }
        return ([line(cols), line(cols.map { _ in "---" })] + rows.map(line)).joined(separator: "\n")
    }
}

/// A one-line progress bar on stderr: shard, pairs done of the shard's total, time left.
final class ProgressBar {
    let tty = isatty(2) == 1
    var last: EvaluationProgress?
    func update(_ p: EvaluationProgress) {
        last = p
        guard p.pairsTotal > 0 else { return }
        let width = 30, filled = width * p.pairsDone / p.pairsTotal
        let shard = p.shard.count > 1 ? "shard \(p.shard) " : ""
        let line = shard + "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(p.pairsDone)/\(p.pairsTotal) pairs" + (p.secondsLeft.map { String(format: "  ETA %.0f s", $0) } ?? "")
        writeStderr(tty ? "\r" + line : line + "\n")
    }
    func finish() { if tty, last != nil { writeStderr("\n") } }
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

    @Option(name: .long, help: "How the model saw the image.")
    var resize: ResizeMode = .stretch

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
        var w = ann.width, h = ann.height
        if let size {
            let p = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else { throw CLIError("--size must be WxH, e.g. 500x375") }
            (w, h) = (p[0], p[1])
        }
        let ip = inputSize.lowercased().split(separator: "x").compactMap { Int($0) }
        guard ip.count == 2, ip[0] > 0, ip[1] > 0 else { throw CLIError("--input-size must be HxW, e.g. 224x224") }
        let s = try localisationScores(raw: data, height: shape[0], width: shape[1], annotation: ann, className: name,
                                       includeDifficult: difficult, imageWidth: w, imageHeight: h, resize: resize,
                                       inputHeight: ip[0], inputWidth: ip[1])
        if json {
            try printJSON(["ebpg": Double(s.ebpg), "bbox": Double(s.bbox), "pointing_hit": s.pointingHit, "name": name,
                           "image_size": [w, h]])
        } else {
            print(String(format: "EBPG %.4f  Bbox %.4f  pointing game %@", Double(s.ebpg), Double(s.bbox), s.pointingHit ? "hit" : "miss"))
        }
    }
}
