import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The configuration block at the top of a per-pair results CSV: `# key=value` lines, then
/// one `# pair=...` line per pair the file is responsible for (its shard), then the CSV.
///
///     # igcam evaluation results, format 1
///     # model_sha256=9f2c...
///     # steps=50
///     ...
///     # pair=2011_000003,cat
///     image,class_name,class_index,method,...,error
///
/// Values are escaped (`\\` for a backslash, `\n`, `\r`) so each stays on one line.
public struct ResultsHeader: Equatable, Sendable {
    public static let magic = "igcam evaluation results, format 1"

    /// Keys whose values must agree for rows to be resumed into or merged with each other:
    /// the model (file hash, preprocessing, backend), the explanation options, the metric
    /// settings and the dataset (split, class map, the full pair list's size and digest).
    public static let configurationKeys = [
        "model_sha256", "sidecar_sha256", "model_input", "model_mean", "model_std", "backend", "layer",
        "steps", "baseline", "reading", "resize", "difficult", "perturbation", "batch",
        "split", "class_map_sha256", "limit", "pairs_total", "pairs_digest",
    ]
    /// Keys that say which part of the work a file holds: they must agree on --resume and
    /// may differ between the shards of one merge.
    public static let partKeys = ["shard", "methods", "shard_pairs"]
    /// For people only (paths and thread counts differ between machines of one cluster).
    public static let infoKeys = ["model", "voc", "class_map", "threads"]

    public var values: [String: String]
    /// The pairs this file is responsible for, canonical order.
    public var pairs: [EvaluationPair]

    public init(values: [String: String], pairs: [EvaluationPair]) {
        self.values = values
        self.pairs = pairs.sorted(by: EvaluationPair.canonicallyPrecedes)
    }

    public subscript(key: String) -> String? { values[key] }

    public var methods: [String] { (values["methods"] ?? "").split(separator: ",").map(String.init) }

    public var shard: Shard? { values["shard"].flatMap { try? Shard(parsing: $0) } }

    /// The header's text, ending with the CSV column line.
    public var text: String {
        var s = "# \(ResultsHeader.magic)\n"
        let known = ResultsHeader.configurationKeys + ResultsHeader.partKeys + ResultsHeader.infoKeys
        for k in known + values.keys.filter({ !known.contains($0) }).sorted() {
            if let v = values[k] { s += "# \(k)=\(ResultsHeader.escape(v))\n" }
        }
        for p in pairs { s += "# pair=\(ResultsHeader.escape(String(p.csvText.dropLast())))\n" }
        return s + CSV.record(EvaluationRow.columns)
    }

    /// The keys among `keys` whose values differ, as `key: a vs b` lines.
    public func differences(from other: ResultsHeader, keys: [String]) -> [String] {
        keys.compactMap { k in
            values[k] == other.values[k] ? nil : "\(k): \(values[k] ?? "(none)") vs \(other.values[k] ?? "(none)")"
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }

    static func unescape(_ s: String) -> String {
        var out = "", it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\", let n = it.next() else { out.append(c); continue }
            switch n {
            case "n": out.append("\n")
            case "r": out.append("\r")
            default: out.append(n)
            }
        }
        return out
    }
}

/// What a results file holds.
public struct ResultsContents: Sendable {
    public var path: String
    public var header: ResultsHeader
    public var rows: [EvaluationRow]
    /// Bytes of whole records; past it, `tornBytes` of a record cut short (kill -9, full disk).
    public var completeLength: Int
    public var tornBytes: Int

    /// Reads and checks a results file. Throws `EvalError.malformedFile` naming the file and
    /// line for anything but a torn last record, which is reported in `tornBytes`.
    public static func read(path: String) throws -> ResultsContents {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw EvalError.fileNotFound(path) }
            throw EvalError.malformedFile(path: path, reason: "cannot be read")
        }
        let bytes = [UInt8](data)
        let parsed = try CSV.parse(bytes, source: path)
        var values = [String: String](), pairs = [EvaluationPair](), rows = [EvaluationRow]()
        var sawMagic = false, sawColumns = false
        var seen = Set<RowKey>()
        for (item, line) in parsed.items {
            switch item {
            case .comment(let c):
                guard !sawColumns else {
                    throw EvalError.malformedFile(path: path, reason: "line \(line): a comment line among the rows")
                }
                let body = c.hasPrefix(" ") ? String(c.dropFirst()) : c
                if !sawMagic {
                    guard body == ResultsHeader.magic else { break }
                    sawMagic = true
                    continue
                }
                guard let eq = body.firstIndex(of: "=") else {
                    throw EvalError.malformedFile(path: path, reason: "line \(line): header line without key=value")
                }
                let key = String(body[..<eq]), value = ResultsHeader.unescape(String(body[body.index(after: eq)...]))
                if key == "pair" {
                    let p = try CSV.parse(Array((value + "\n").utf8), source: path)
                    guard p.items.count == 1, case .record(let f) = p.items[0].item, f.count == 2 else {
                        throw EvalError.malformedFile(path: path, reason: "line \(line): a pair must be image,class")
                    }
                    pairs.append(EvaluationPair(imageID: f[0], className: f[1]))
                } else {
                    values[key] = value
                }
            case .record(let f):
                guard sawMagic else {
                    throw EvalError.malformedFile(path: path, reason: "not an igcam results file with a configuration header "
                        + "(the first line must be '# \(ResultsHeader.magic)'; files of igcam before the header cannot be resumed or merged)")
                }
                if !sawColumns {
                    guard f == EvaluationRow.columns else {
                        throw EvalError.malformedFile(path: path, reason: "line \(line): expected the columns \(EvaluationRow.columns.joined(separator: ","))")
                    }
                    sawColumns = true
                    continue
                }
                if f == [""] { continue }   // a blank line
                guard let r = EvaluationRow(fields: f) else {
                    throw EvalError.malformedFile(path: path, reason: "line \(line): not a results row: \(f.joined(separator: ","))")
                }
                guard seen.insert(r.key).inserted else {
                    throw EvalError.malformedFile(path: path, reason: "line \(line): a second row for \(r.imageID), \(r.className), \(r.method)")
                }
                rows.append(r)
            }
        }
        guard sawMagic else {
            throw EvalError.malformedFile(path: path, reason: "not an igcam results file (its first line must be '# \(ResultsHeader.magic)')")
        }
        guard sawColumns else {
            throw EvalError.malformedFile(path: path, reason: "the header is incomplete (the run was stopped while writing it)")
        }
        return ResultsContents(path: path, header: ResultsHeader(values: values, pairs: pairs), rows: rows,
                               completeLength: parsed.completeLength, tornBytes: bytes.count - parsed.completeLength)
    }
}

/// Appends whole rows to a results file, holding an exclusive lock on it (a second igcam
/// writing the same file is refused, never interleaved). Each row goes out as one write and
/// is synced; a failed write (a full disk) is cut back so the file ends with a whole row,
/// and the error says so.
public final class ResultsWriter {
    public let path: String
    private let fd: Int32
    private var size: Int
    /// Test hook: `IGCAM_TEST_ROW_WRITE_PAUSE=seconds` writes each row in two halves with a
    /// pause between them, so a kill can land mid-row (Tests/IGCLITests/EvaluateKillTests).
    private let pause: Double?

    /// Opens `path`, locks it, and either starts it with `header` (`fresh`) or keeps its
    /// first `keep` bytes (the whole records of a resumed file; a torn tail is cut off).
    public init(path: String, header: ResultsHeader, fresh: Bool, keep: Int = 0) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EvalError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        self.fd = fd
        size = 0
        pause = ProcessInfo.processInfo.environment["IGCAM_TEST_ROW_WRITE_PAUSE"].flatMap(Double.init)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EvalError.inconsistent("\(path) is being written by another igcam process: give each run (each shard) its own --results file")
        }
        let target = fresh ? 0 : keep
        guard ftruncate(fd, off_t(target)) == 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw EvalError.writeFailed(path: path, reason: e)
        }
        size = target
        guard lseek(fd, off_t(target), SEEK_SET) >= 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw EvalError.writeFailed(path: path, reason: e)
        }
        if fresh {
            do { try write(Array(header.text.utf8), what: "the header") } catch { close(fd); throw error }
        }
    }

    deinit { close(fd) }

    public func append(_ row: EvaluationRow) throws {
        try write(Array(CSV.record(row.fields).utf8), what: "a row", pausing: pause)
    }

    private func write(_ bytes: [UInt8], what: String, pausing pause: Double? = nil) throws {
        let before = size
        var done = 0
        let half = pause != nil ? bytes.count / 2 : bytes.count
        while done < bytes.count {
            let limit = done < half ? half : bytes.count
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, limit - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = String(cString: strerror(errno))
                let cut = ftruncate(fd, off_t(before)) == 0
                _ = lseek(fd, off_t(before), SEEK_SET)
                throw EvalError.writeFailed(path: path, reason: "\(e) while writing \(what); "
                    + (cut ? "the file still ends with a whole row" : "its last line is partial")
                    + ": free some space and run the same command with --resume")
            }
            done += n
            if done == half, let pause, half < bytes.count { usleep(useconds_t(pause * 1_000_000)) }
        }
        if fsync(fd) != 0, errno != EINVAL {
            let e = String(cString: strerror(errno))
            _ = ftruncate(fd, off_t(before)); _ = lseek(fd, off_t(before), SEEK_SET)
            throw EvalError.writeFailed(path: path, reason: "\(e) while syncing \(what): free some space and run the same command with --resume")
        }
        size = before + bytes.count
    }
}
