import Foundation

/// Merges the per-pair CSVs of a sharded evaluation into one table, refusing anything that
/// would not give exactly the single-process table: different configurations, a shard
/// missing or given twice, a pair covered twice or not at all, a shard not finished.
///
/// Shards are grouped by their `methods` (one Slurm array per method set, e.g. Score-CAM on
/// its own); each group must be the complete set 0..N-1 of one N, and together the groups'
/// methods must not overlap.
public enum ShardMerge {
    public struct Result: Sendable {
        public var rows: [EvaluationRow]
        /// Methods in the order of the shards' `methods`, first file first.
        public var methods: [String]
        public var table: [MethodSummary]
        public var header: ResultsHeader
        /// Notes (a torn last line ignored, ...).
        public var notes: [String]
    }

    /// At most `n` items, then "and K more".
    static func list(_ items: [String], _ n: Int = 10) -> String {
        items.count <= n ? items.joined(separator: "; ") : items.prefix(n).joined(separator: "; ") + "; and \(items.count - n) more"
    }

    public static func merge(paths: [String]) throws -> Result {
        guard !paths.isEmpty else { throw EvalError.invalidArgument("no shard files to merge") }
        let files = try paths.map { try ResultsContents.read(path: $0) }
        return try merge(files)
    }

    public static func merge(_ files: [ResultsContents]) throws -> Result {
        guard let first = files.first else { throw EvalError.invalidArgument("no shard files to merge") }
        var notes = [String]()
        // 1. One configuration.
        for f in files.dropFirst() {
            let d = first.header.differences(from: f.header, keys: ResultsHeader.configurationKeys)
            if !d.isEmpty {
                throw EvalError.inconsistent("\(first.path) and \(f.path) were written with different configurations "
                    + "(\(first.path) vs \(f.path)):\n  " + d.joined(separator: "\n  "))
            }
        }
        for f in files where f.tornBytes > 0 {
            notes.append("\(f.path): ignored a partial last row (\(f.tornBytes) bytes): that shard did not finish")
        }
        guard let totalText = first.header["pairs_total"], let total = Int(totalText),
              let digest = first.header["pairs_digest"] else {
            throw EvalError.malformedFile(path: first.path, reason: "no pairs_total / pairs_digest in the header")
        }
        // 2. Group by method set; each group is shards 0..N-1 of one N.
        var groups = [(methods: [String], files: [ResultsContents])]()
        for f in files {
            guard !f.header.methods.isEmpty, f.header.shard != nil else {
                throw EvalError.malformedFile(path: f.path, reason: "no methods or shard K/N in the header")
            }
            if let i = groups.firstIndex(where: { $0.methods == f.header.methods }) { groups[i].files.append(f) }
            else { groups.append((f.header.methods, [f])) }
        }
        var methodOwner = [String: String]()
        for g in groups {
            let name = g.methods.joined(separator: ",")
            for m in g.methods {
                if let other = methodOwner[m] {
                    throw EvalError.inconsistent("method \(m) is in two sets of shards (methods \(other) and methods \(name)): "
                        + "each method must come from one set")
                }
                methodOwner[m] = name
            }
            let counts = Set(g.files.map { $0.header.shard!.count })
            guard counts.count == 1, let n = counts.first else {
                throw EvalError.inconsistent("the shards of methods \(name) were cut into different numbers of shards: "
                    + g.files.map { "\($0.path) is \($0.header.shard!)" }.joined(separator: ", "))
            }
            var byIndex = [Int: String]()
            for f in g.files {
                let k = f.header.shard!.index
                if let other = byIndex[k] {
                    throw EvalError.inconsistent("shard \(k)/\(n) of methods \(name) is given twice: \(other) and \(f.path)")
                }
                byIndex[k] = f.path
            }
            let missing = (0..<n).filter { byIndex[$0] == nil }
            if !missing.isEmpty {
                throw EvalError.inconsistent("incomplete: shard " + missing.map { "\($0)/\(n)" }.joined(separator: ", ")
                    + " of methods \(name) " + (missing.count == 1 ? "is" : "are") + " missing (have "
                    + byIndex.keys.sorted().map { "\($0)/\(n) \(byIndex[$0]!)" }.joined(separator: ", ") + ")")
            }
            // 3. The shards' pairs partition the full pair list.
            var owner = [EvaluationPair: String]()
            var dup = [String]()
            for f in g.files {
                for p in f.header.pairs {
                    if let o = owner[p] { dup.append("\(p.imageID), \(p.className) (\(o) and \(f.path))") } else { owner[p] = f.path }
                }
            }
            if !dup.isEmpty {
                throw EvalError.inconsistent("duplicated pairs in the shards of methods \(name): " + list(dup))
            }
            let union = Array(owner.keys)
            guard union.count == total, EvaluationPair.digest(union) == digest else {
                throw EvalError.inconsistent("the shards of methods \(name) cover \(union.count) pairs, not the dataset's "
                    + "\(total) (pair list digest \(digest.prefix(12))...): they come from different pair lists")
            }
            // 4. Every shard finished: one row per (its pair, its method), no others.
            var absent = [String](), stray = [String]()
            for f in g.files {
                let keys = Set(f.rows.map(\.key))
                let mine = Set(f.header.pairs)
                for p in f.header.pairs {
                    for m in g.methods where !keys.contains(RowKey(pair: p, method: m)) {
                        absent.append("\(p.imageID), \(p.className), \(m) (shard \(f.header.shard!) \(f.path))")
                    }
                }
                for r in f.rows where !mine.contains(r.pair) || !g.methods.contains(r.method) {
                    stray.append("\(r.imageID), \(r.className), \(r.method) in \(f.path)")
                }
            }
            if !stray.isEmpty {
                throw EvalError.inconsistent("rows outside their shard's pairs or methods: " + list(stray))
            }
            if !absent.isEmpty {
                throw EvalError.inconsistent("incomplete: \(absent.count) missing pair rows (a shard did not finish: run it again "
                    + "with the same command and --resume): " + list(absent))
            }
        }
        let methods = groups.flatMap(\.methods)
        let rows = files.flatMap(\.rows)
        var header = first.header
        header.values["methods"] = methods.joined(separator: ",")
        header.values["shard"] = "merged from \(files.count) files"
        return Result(rows: rows, methods: methods, table: try MethodSummary.summarize(rows, methods: methods),
                      header: header, notes: notes)
    }
}
