import Foundation
import IGExplain
import IGImaging
import IGModel

/// Everything that decides an evaluation's numbers, plus where it writes them.
public struct EvaluationSetup {
    public var model: Model
    public var dataset: VOCDataset
    public var classMap: ClassMap
    public var classMapPath: String
    public var methods: [Method]
    public var layer: String
    public var options: ExplainOptions
    public var includeDifficult: Bool
    public var limit: Int?
    public var shard: Shard
    public var resultsPath: String
    public var resume: Bool
    /// Informational header values (`threads`, ...): recorded, never compared.
    public var info: [String: String]

    public init(model: Model, dataset: VOCDataset, classMap: ClassMap, classMapPath: String, methods: [Method],
                layer: String, options: ExplainOptions, includeDifficult: Bool, limit: Int?, shard: Shard,
                resultsPath: String, resume: Bool, info: [String: String] = [:]) {
        self.model = model; self.dataset = dataset; self.classMap = classMap; self.classMapPath = classMapPath
        self.methods = methods; self.layer = layer; self.options = options; self.includeDifficult = includeDifficult
        self.limit = limit; self.shard = shard; self.resultsPath = resultsPath; self.resume = resume; self.info = info
    }
}

/// How far a run is, for a progress line.
public struct EvaluationProgress: Sendable {
    public var shard: Shard
    /// Pairs of this shard finished (resumed ones included) and in all.
    public var pairsDone: Int
    public var pairsTotal: Int
    /// Seconds since the run started, and the estimated seconds left (nil before the first
    /// pair computed by this run).
    public var elapsed: Double
    public var secondsLeft: Double?
}

/// What a run did.
public struct EvaluationOutcome: Sendable {
    /// Every row in the results file (resumed and new), as read back from it.
    public var rows: [EvaluationRow]
    /// The table, summed in the canonical pair order from the rows as read back.
    public var table: [MethodSummary]
    /// Listed ids, annotated classes or rows that gave no metrics, with the reason.
    public var skips: [String]
    public var pairsInShard: Int
    public var pairsTotal: Int
    public var resumedRows: Int
    public var seconds: Double
}

/// Notes for the person running it (resume, torn lines dropped), in order.
public typealias EvaluationNote = (String) -> Void

/// One evaluation (one shard of one): builds the pair list, opens or resumes the results
/// file, warms the engine up, evaluates the shard's pairs and sums the table. The command
/// line only parses options and prints.
public final class EvaluationRun {
    public let setup: EvaluationSetup
    public let plan: PairPlan
    public let header: ResultsHeader
    /// The shard's pairs, grouped by image in split order (an image is read once).
    let work: [(item: VOCItem, annotation: VOCAnnotation, classes: [String])]
    var skips: [String]

    /// Reads the annotations (not the images) of the first `limit` listed items, so the full
    /// pair list, its digest and this shard's part are known before anything runs.
    public init(_ setup: EvaluationSetup) throws {
        self.setup = setup
        var skips = setup.dataset.skipped.map { "\($0.id): \($0.reason)" }
        var pairs = [EvaluationPair](), cost = [EvaluationPair: Int]()
        var perItem = [(item: VOCItem, annotation: VOCAnnotation, classes: [String])]()
        for item in setup.dataset.items.prefix(setup.limit ?? Int.max) {
            let ann: VOCAnnotation
            do { ann = try setup.dataset.annotation(for: item) } catch {
                skips.append("\(item.id): skipped: \(error)")
                continue
            }
            var names = [String]()
            for o in ann.objects where (setup.includeDifficult || !o.difficult) && !names.contains(o.name) { names.append(o.name) }
            var classes = [String]()
            for name in names {
                guard !setup.classMap.classes(for: name).isEmpty else {
                    skips.append("\(item.id): class '\(name)' has no class in the model's class map")
                    continue
                }
                let p = EvaluationPair(imageID: item.id, className: name)
                guard cost[p] == nil else { continue }   // an id listed twice
                pairs.append(p)
                cost[p] = max(ann.width, 1) * max(ann.height, 1)
                classes.append(name)
            }
            if !classes.isEmpty { perItem.append((item, ann, classes)) }
        }
        plan = PairPlan(pairs: pairs, cost: cost)
        let mine = plan.pairs(of: setup.shard)
        work = perItem.compactMap { w in
            let c = w.classes.filter { mine.contains(EvaluationPair(imageID: w.item.id, className: $0)) }
            return c.isEmpty ? nil : (w.item, w.annotation, c)
        }
        self.skips = skips
        let m = setup.model, p = m.preprocessing
        func floats(_ a: [Float]) -> String { a.map { "\($0)" }.joined(separator: ",") }
        var values: [String: String] = [
            "model_sha256": try SHA256.hex(ofFile: m.path),
            "sidecar_sha256": try EvaluationRun.sidecarDigest(modelPath: m.path),
            "model_input": "\(p.height)x\(p.width)",
            "model_mean": floats(p.mean), "model_std": floats(p.std),
            "backend": String(describing: type(of: m.engine)),
            "layer": setup.layer,
            "steps": String(setup.options.steps),
            "baseline": setup.options.baseline.description,
            "reading": setup.options.reading.rawValue,
            "resize": p.resize.rawValue,
            "difficult": setup.includeDifficult ? "kept" : "left out",
            "perturbation": "deletion/insertion H*W/224 px a step, insertion from blur sigma 5; Drop/Increase on map x image",
            "batch": "32",
            "split": setup.dataset.split,
            "class_map_sha256": try SHA256.hex(ofFile: setup.classMapPath),
            "limit": setup.limit.map(String.init) ?? "none",
            "pairs_total": String(plan.pairs.count),
            "pairs_digest": plan.digest,
            "shard": setup.shard.description,
            "methods": setup.methods.map(\.name).joined(separator: ","),
            "shard_pairs": String(mine.count),
            "model": m.path, "voc": setup.dataset.root, "class_map": setup.classMapPath,
        ]
        for (k, v) in setup.info { values[k] = v }
        header = ResultsHeader(values: values, pairs: Array(mine))
    }

    /// The sidecar's SHA-256, or "none".
    static func sidecarDigest(modelPath: String) throws -> String {
        let side = (modelPath as NSString).deletingPathExtension + ".json"
        return FileManager.default.fileExists(atPath: side) ? try SHA256.hex(ofFile: side) : "none"
    }

    public var pairsInShard: Int { header.pairs.count }

    /// Runs the shard. `note` receives one-line messages (resuming, torn line dropped);
    /// `progress` is called before each pair and at the end.
    public func run(note: EvaluationNote, progress: (EvaluationProgress) -> Void) throws -> EvaluationOutcome {
        let start = Date()
        let path = setup.resultsPath
        var done = Set<RowKey>()
        var keep = 0, fresh = true, resumed = 0
        if setup.resume, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 {
            let old = try ResultsContents.read(path: path)
            let diff = old.header.differences(from: header, keys: ResultsHeader.configurationKeys + ResultsHeader.partKeys)
                + (old.header.pairs == header.pairs || old.header.values["pairs_digest"] != header.values["pairs_digest"]
                   ? [] : ["the shard's pair list differs"])
            guard diff.isEmpty else {
                throw EvalError.inconsistent("\(path) was written with a different configuration, so its rows cannot be "
                    + "mixed with this run's (file vs this run):\n  " + diff.joined(separator: "\n  ")
                    + "\nrun with the file's settings, or give another --results file (or drop --resume to start it over)")
            }
            let mineKeys = Set(header.pairs)
            if let stray = old.rows.first(where: { !mineKeys.contains($0.pair) || !setup.methods.map(\.name).contains($0.method) }) {
                throw EvalError.inconsistent("\(path) has a row for \(stray.imageID), \(stray.className), \(stray.method), which is not part of this shard")
            }
            done = Set(old.rows.map(\.key))
            keep = old.completeLength
            fresh = false
            resumed = old.rows.count
            note("resuming: \(old.rows.count) rows already in \(path)")
            if old.tornBytes > 0 {
                note("\(path): dropped a partial last row (\(old.tornBytes) bytes, a write cut short); it is computed again")
            }
        }
        let writer = try ResultsWriter(path: path, header: header, fresh: fresh, keep: keep)
        let evaluator = Evaluator(model: setup.model, methods: setup.methods, layer: setup.layer,
                                  options: setup.options, includeDifficult: setup.includeDifficult)
        let methodNames = setup.methods.map(\.name)
        func finished(_ p: EvaluationPair) -> Bool { methodNames.allSatisfy { done.contains(RowKey(pair: p, method: $0)) } }
        let total = pairsInShard
        var pairsDone = header.pairs.filter(finished).count
        let resumedPairs = pairsDone
        if let first = work.first(where: { w in w.classes.contains { !finished(EvaluationPair(imageID: w.item.id, className: $0)) } }) {
            try? evaluator.warmUp(imagePath: first.item.imagePath)
        }
        let loopStart = Date()
        func report() {
            let elapsed = Date().timeIntervalSince(start)
            let computed = pairsDone - resumedPairs
            let left = computed > 0 ? Date().timeIntervalSince(loopStart) / Double(computed) * Double(total - pairsDone) : nil
            progress(EvaluationProgress(shard: setup.shard, pairsDone: pairsDone, pairsTotal: total, elapsed: elapsed, secondsLeft: left))
        }
        for w in work {
            for name in w.classes {
                let pair = EvaluationPair(imageID: w.item.id, className: name)
                if finished(pair) { continue }
                report()
                try evaluator.evaluate(item: w.item, annotation: w.annotation, classNames: [name], classMap: setup.classMap,
                                       done: done) { row in
                    try writer.append(row)
                    done.insert(row.key)
                }
                pairsDone += 1
            }
        }
        report()
        // The table comes from the file as written, through the same reader and sum as a merge.
        let back = try ResultsContents.read(path: path)
        var skips = self.skips
        skips += back.rows.filter { !$0.error.isEmpty }.map { "\($0.imageID): \($0.className), \($0.method): \($0.error)" }
        return EvaluationOutcome(rows: back.rows, table: try MethodSummary.summarize(back.rows, methods: methodNames),
                                 skips: skips, pairsInShard: total, pairsTotal: plan.pairs.count, resumedRows: resumed,
                                 seconds: Date().timeIntervalSince(start))
    }
}
