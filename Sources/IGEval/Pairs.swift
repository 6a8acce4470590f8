import Foundation

/// One (image, annotated class) of a dataset: the unit that sharding deals out.
public struct EvaluationPair: Hashable, Sendable {
    public var imageID: String
    public var className: String
    public init(imageID: String, className: String) { self.imageID = imageID; self.className = className }

    /// The canonical order: image id, then class name, both by UTF-8 bytes (independent of
    /// locale, split-file order and directory listing order). Every table is summed in it.
    public static func canonicallyPrecedes(_ a: EvaluationPair, _ b: EvaluationPair) -> Bool {
        if a.imageID != b.imageID { return a.imageID.utf8.lexicographicallyPrecedes(b.imageID.utf8) }
        return a.className.utf8.lexicographicallyPrecedes(b.className.utf8)
    }

    /// How a pair is written in a results header (`# pair=...`) and hashed: one CSV record.
    public var csvText: String { CSV.record([imageID, className]) }

    /// SHA-256 of the canonically ordered pairs' `csvText`: the identity of a pair list.
    public static func digest(_ pairs: [EvaluationPair]) -> String {
        var s = SHA256()
        for p in pairs.sorted(by: canonicallyPrecedes) { s.update(p.csvText) }
        return SHA256.hex(s.finalize())
    }
}

/// Shard K of N (K counts from 0). `Shard(index: 0, count: 1)` is the whole set.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) { index = uncheckedIndex; self.count = count }

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw EvalError.invalidArgument("the shard count must be at least 1, got \(count)") }
        guard (0..<count).contains(index) else {
            throw EvalError.invalidArgument("shard \(index) of \(count): K counts from 0, so it must be 0...\(count - 1)")
        }
        self.index = index; self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws {
        let p = text.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 2, let k = Int(p[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(p[1].trimmingCharacters(in: .whitespaces)) else {
            throw EvalError.invalidArgument("--shard must be K/N (e.g. 0/3; K counts from 0), got '\(text)'")
        }
        try self.init(index: k, count: n)
    }

    /// `K/N`, as parsed.
    public var description: String { "\(index)/\(count)" }

    /// The shard from a scheduler's environment when no `--shard` is given: Slurm array tasks
    /// (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, divided by `SLURM_ARRAY_TASK_STEP`, of
    /// `SLURM_ARRAY_TASK_COUNT`, or of `shards` when given) or Kubernetes Indexed Jobs
    /// (`JOB_COMPLETION_INDEX` of `shards`, which is required there). Nil when neither is set
    /// and `shards` is nil; with `shards` alone, an error (which shard is this?).
    /// Returns the shard and a note saying where it came from.
    public static func fromEnvironment(_ env: [String: String], shards: Int?) throws -> (Shard, String)? {
        func int(_ key: String) throws -> Int? {
            guard let v = env[key], !v.isEmpty else { return nil }
            guard let i = Int(v.trimmingCharacters(in: .whitespaces)) else {
                throw EvalError.invalidArgument("\(key)=\(v) is not an integer")
            }
            return i
        }
        if let id = try int("SLURM_ARRAY_TASK_ID") {
            let minID = try int("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = try int("SLURM_ARRAY_TASK_STEP") ?? 1
            guard step >= 1, id >= minID, (id - minID) % step == 0 else {
                throw EvalError.invalidArgument("SLURM_ARRAY_TASK_ID=\(id) does not fit SLURM_ARRAY_TASK_MIN=\(minID), SLURM_ARRAY_TASK_STEP=\(step)")
            }
            let count = try int("SLURM_ARRAY_TASK_COUNT")
            guard let n = shards ?? count else {
                throw EvalError.invalidArgument("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N")
            }
            let k = (id - minID) / step
            return (try Shard(index: k, count: n), "from SLURM_ARRAY_TASK_ID=\(id)")
        }
        if let idx = try int("JOB_COMPLETION_INDEX") {
            guard let n = shards else {
                throw EvalError.invalidArgument("JOB_COMPLETION_INDEX=\(idx) is set (a Kubernetes Indexed Job) but --shards N is not: pass --shards with the Job's completions")
            }
            return (try Shard(index: idx, count: n), "from JOB_COMPLETION_INDEX=\(idx)")
        }
        if let n = shards {
            throw EvalError.invalidArgument("--shards \(n) needs SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX in the environment; outside a scheduler use --shard K/\(n)")
        }
        return nil
    }
}

/// The pairs of a dataset in the canonical order, and their partition into shards.
public struct PairPlan: Sendable {
    /// Every pair, canonical order.
    public let pairs: [EvaluationPair]
    /// Expected cost of each pair (here: the image's pixel count, from its annotation).
    public let cost: [EvaluationPair: Int]

    public init(pairs: [EvaluationPair], cost: [EvaluationPair: Int]) {
        self.pairs = pairs.sorted(by: EvaluationPair.canonicallyPrecedes)
        self.cost = cost
    }

    public var digest: String { EvaluationPair.digest(pairs) }

    /// The pairs of `shard`: all pairs ordered by expected cost (largest first, ties in the
    /// canonical order) and dealt round-robin, so every shard gets an equal share of each
    /// cost band and sizes differ by at most one. Depends only on the pair set.
    public func pairs(of shard: Shard) -> Set<EvaluationPair> {
        let byCost = pairs.enumerated().sorted { a, b in
            let ca = cost[a.element] ?? 0, cb = cost[b.element] ?? 0
            return ca != cb ? ca > cb : a.offset < b.offset
        }
        var out = Set<EvaluationPair>()
        for (i, p) in byCost.enumerated() where i % shard.count == shard.index { out.insert(p.element) }
        return out
    }
}
