import Foundation
import XCTest
import IGEval

/// SHA-256, RFC 4180 CSV, shards, the results header and file, and merge: no model needed.
final class SHA256Tests: XCTestCase {
    func hex(_ s: String) -> String { SHA256.hex(of: s) }

    /// FIPS 180-2 appendix B vectors.
    func testKnownVectors() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var s = SHA256()
        for _ in 0..<1000 { s.update(Data(repeating: UInt8(ascii: "a"), count: 1000)) }
        XCTAssertEqual(SHA256.hex(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Pieces of any size give the digest of the whole (block boundaries inside updates).
    func testChunkingDoesNotMatter() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var whole = SHA256(); whole.update(Data(bytes))
        let expected = SHA256.hex(whole.finalize())
        for size in [1, 3, 63, 64, 65, 200] {
            var s = SHA256()
            var i = 0
            while i < bytes.count { let j = min(i + size, bytes.count); s.update(Data(bytes[i..<j])); i = j }
            XCTAssertEqual(SHA256.hex(s.finalize()), expected, "chunks of \(size)")
        }
        var seq = SHA256(); seq.update(bytes)
        XCTAssertEqual(SHA256.hex(seq.finalize()), expected, "byte-sequence update")
    }

    /// The file digest equals coreutils' sha256sum of the same file.
    func testFileDigestEqualsSha256sum() throws {
        let tool = "/usr/bin/sha256sum"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) not installed") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = (0..<(5 << 20) + 17).map { UInt8(truncatingIfNeeded: ($0 * 2654435761) >> 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: tool); p.arguments = [path]; p.standardOutput = out
        try p.run(); p.waitUntilExit()
        let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(try SHA256.hex(ofFile: path), String(line.prefix(64)))
    }
}

final class CSVTests: XCTestCase {
    func records(_ text: String) throws -> [[String]] {
        try CSV.parse(Array(text.utf8), source: "t").items.compactMap { if case .record(let f) = $0.item { return f } else { return nil } }
    }

    func testQuotingRoundTrips() throws {
        let nasty = ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\rlf", "", " spaced ", "\"", ",", "ünï"]
        let text = CSV.record(nasty) + CSV.record(["x", "y"])
        XCTAssertEqual(CSV.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSV.field("plain"), "plain")
        XCTAssertEqual(try records(text), [nasty, ["x", "y"]])
    }

    func testCRLFAndComments() throws {
        let p = try CSV.parse(Array("# head=1\r\na,b\r\n\"c\",d\r\n".utf8), source: "t")
        XCTAssertEqual(p.items.map(\.item), [.comment(" head=1"), .record(["a", "b"]), .record(["c", "d"])])
        XCTAssertEqual(p.items.map(\.line), [1, 2, 3])
    }

    /// Cut anywhere inside the last record (even inside quotes): that record is not returned
    /// and completeLength points just past the last whole one.
    func testTornLastRecordAtEveryByte() throws {
        let first = CSV.record(["img,1", "cat"]), second = CSV.record(["img \"2\"", "two\nlines", "x"])
        let all = Array((first + second).utf8)
        for cut in Array(first.utf8).count ..< all.count {
            let p = try CSV.parse(Array(all[..<cut]), source: "t")
            XCTAssertEqual(p.items.count, 1, "cut at \(cut)")
            XCTAssertEqual(p.completeLength, Array(first.utf8).count, "cut at \(cut)")
        }
        XCTAssertEqual(try CSV.parse(all, source: "t").completeLength, all.count)
    }

    func testMalformedQuotesNameTheLine() {
        XCTAssertThrowsError(try CSV.parse(Array("a,b\nx\"y,z\n".utf8), source: "f.csv")) { e in
            XCTAssertTrue("\(e)".contains("f.csv") && "\(e)".contains("line 2"), "\(e)")
        }
        XCTAssertThrowsError(try CSV.parse(Array("\"ab\"c,d\n".utf8), source: "f.csv")) { e in
            XCTAssertTrue("\(e)".contains("line 1"), "\(e)")
        }
    }
}

final class ShardTests: XCTestCase {
    func testParsing() throws {
        let s = try Shard(parsing: "2/3")
        XCTAssertEqual([s.index, s.count], [2, 3])
        for bad in ["3/3", "-1/2", "1", "a/b", "1/0", "", "1/2/3"] {
            XCTAssertThrowsError(try Shard(parsing: bad), bad)
        }
    }

    func testEnvironment() throws {
        XCTAssertNil(try Shard.fromEnvironment([:], shards: nil))
        let slurm = try XCTUnwrap(Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "5",
                                                         "SLURM_ARRAY_TASK_COUNT": "3"], shards: nil))
        XCTAssertEqual(slurm.0, try Shard(index: 1, count: 3))
        XCTAssertTrue(slurm.1.contains("SLURM_ARRAY_TASK_ID"))
        // --array=10-20:5 -> ids 10, 15, 20: steps count.
        let stepped = try XCTUnwrap(Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "20", "SLURM_ARRAY_TASK_MIN": "10",
                                                           "SLURM_ARRAY_TASK_STEP": "5", "SLURM_ARRAY_TASK_COUNT": "3"], shards: nil))
        XCTAssertEqual(stepped.0, try Shard(index: 2, count: 3))
        let k8s = try XCTUnwrap(Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], shards: 4))
        XCTAssertEqual(k8s.0, try Shard(index: 3, count: 4))
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], shards: nil)) {
            XCTAssertTrue("\($0)".contains("--shards"), "\($0)")
        }
        XCTAssertThrowsError(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "4"], shards: 4))
        XCTAssertThrowsError(try Shard.fromEnvironment([:], shards: 4))
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3"], shards: nil))
    }

    func pairs(_ n: Int) -> ([EvaluationPair], [EvaluationPair: Int]) {
        var ps = [EvaluationPair](), cost = [EvaluationPair: Int]()
        for i in 0..<n {
            let p = EvaluationPair(imageID: String(format: "img%03d", i / 2), className: i % 2 == 0 ? "cat" : "dog,brown")
            ps.append(p); cost[p] = (i * 7919) % 13 * 1000 + 500
        }
        return (ps, cost)
    }

    /// Every pair in exactly one shard, sizes within one, the same partition whatever the
    /// order the pairs were listed in.
    func testPartitionIsCompleteDisjointBalancedAndOrderFree() throws {
        let (ps, cost) = pairs(37)
        let plan = PairPlan(pairs: ps, cost: cost)
        var shuffled = ps; var rng = SystemRandomNumberGenerator(); shuffled.shuffle(using: &rng)
        let plan2 = PairPlan(pairs: shuffled, cost: cost)
        XCTAssertEqual(plan.digest, plan2.digest)
        for n in [1, 2, 3, 5, 37, 40] {
            var seen = [EvaluationPair: Int]()
            var sizes = [Int]()
            for k in 0..<n {
                let s = try Shard(index: k, count: n)
                let part = plan.pairs(of: s)
                XCTAssertEqual(part, plan2.pairs(of: s), "shard \(s) depends on the listing order")
                sizes.append(part.count)
                for p in part { seen[p, default: 0] += 1 }
            }
            XCTAssertEqual(seen.count, ps.count, "N=\(n)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "N=\(n): a pair in two shards")
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "N=\(n): \(sizes)")
        }
    }

    /// Costly pairs are dealt out first: with 2 big and 4 small pairs on 2 shards, each shard
    /// gets one big one (in list order, both big ones would be in the first three).
    func testExpensivePairsAreSpread() throws {
        let ps = (0..<6).map { EvaluationPair(imageID: "i\($0)", className: "c") }
        var cost = [EvaluationPair: Int]()
        for (i, p) in ps.enumerated() { cost[p] = i < 2 ? 1_000_000 : 10 }
        let plan = PairPlan(pairs: ps, cost: cost)
        for k in 0..<2 {
            let part = plan.pairs(of: try Shard(index: k, count: 2))
            XCTAssertEqual(part.filter { cost[$0]! > 100 }.count, 1, "shard \(k): \(part)")
        }
    }
}

final class ResultsFileTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("igeval-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let allPairs: [EvaluationPair] = [
        EvaluationPair(imageID: "a", className: "cat"), EvaluationPair(imageID: "b", className: "dog"),
        EvaluationPair(imageID: "b", className: "pottedplant, \"big\""), EvaluationPair(imageID: "c", className: "bus"),
        EvaluationPair(imageID: "d", className: "car"),
    ]

    func header(_ pairs: [EvaluationPair], shard: String, methods: [String], steps: String = "8") -> ResultsHeader {
        ResultsHeader(values: ["model_sha256": "abc", "steps": steps, "layer": "layer4", "pairs_total": "\(Self.allPairs.count)",
                               "pairs_digest": EvaluationPair.digest(Self.allPairs), "shard": shard,
                               "methods": methods.joined(separator: ","), "shard_pairs": "\(pairs.count)", "model": "/x/\(shard)"],
                      pairs: pairs)
    }

    /// Deterministic, distinct metric values (never all zeros).
    func row(_ p: EvaluationPair, _ m: String) -> EvaluationRow {
        let h = Float(abs((p.imageID + p.className + m).hashValue % 1000)) / 1000
        let seed = Float(p.imageID.unicodeScalars.first!.value % 7 + 1) / 9 + Float(m.count) / 100
        return EvaluationRow(imageID: p.imageID, className: p.className, classIndex: 281, method: m, ebpg: seed, bbox: seed / 3,
                             pointingHit: m.count % 2 == 0, y: 0.5 + seed / 4, o: 0.25 + h / 3, deletion: 0.1 * seed,
                             insertion: 0.2 + 0.1 * h, ms: Double(h) * 10)
    }

    func write(_ name: String, _ h: ResultsHeader, rows: [EvaluationRow]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let w = try ResultsWriter(path: path, header: h, fresh: true)
        for r in rows { try w.append(r) }
        return path
    }

    func testHeaderAndRowsRoundTrip() throws {
        let h = header(Self.allPairs, shard: "0/1", methods: ["grad-cam"])
        let rows = Self.allPairs.map { row($0, "grad-cam") }
            + [EvaluationRow.failed(EvaluationPair(imageID: "z", className: "x"), method: "grad-cam", error: "bad, \"broken\"\nimage")]
        let path = try write("r.csv", h, rows: rows)
        let back = try ResultsContents.read(path: path)
        XCTAssertEqual(back.header, h)
        XCTAssertEqual(back.rows, rows)
        XCTAssertEqual(back.rows.map(\.ebpg.bitPattern), rows.map(\.ebpg.bitPattern), "floats must read back to the same bits")
        XCTAssertEqual(back.tornBytes, 0)
        XCTAssertTrue(back.rows.last!.error.contains("broken"))
    }

    /// A partial last row is reported, not returned; a writer resuming keeps only whole rows.
    func testTornRowIsDroppedOnResume() throws {
        let h = header(Self.allPairs, shard: "0/1", methods: ["grad-cam"])
        let rows = Self.allPairs.prefix(2).map { row($0, "grad-cam") }
        let path = try write("r.csv", h, rows: Array(rows))
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let partial = Array(CSV.record(row(Self.allPairs[2], "grad-cam").fields).utf8).prefix(17)
        try (whole + Data(partial)).write(to: URL(fileURLWithPath: path))
        let torn = try ResultsContents.read(path: path)
        XCTAssertEqual(torn.rows, Array(rows))
        XCTAssertEqual(torn.tornBytes, 17)
        let w = try ResultsWriter(path: path, header: h, fresh: false, keep: torn.completeLength)
        try w.append(row(Self.allPairs[2], "grad-cam"))
        let back = try ResultsContents.read(path: path)
        XCTAssertEqual(back.rows, Array(rows) + [row(Self.allPairs[2], "grad-cam")])
        XCTAssertEqual(back.tornBytes, 0)
    }

    func testSecondWriterIsRefused() throws {
        let h = header(Self.allPairs, shard: "0/1", methods: ["grad-cam"])
        let path = dir.appendingPathComponent("r.csv").path
        let w = try ResultsWriter(path: path, header: h, fresh: true)
        XCTAssertThrowsError(try ResultsWriter(path: path, header: h, fresh: true)) {
            XCTAssertTrue("\($0)".contains("another igcam"), "\($0)")
        }
        try w.append(row(Self.allPairs[0], "grad-cam"))
        XCTAssertEqual(try ResultsContents.read(path: path).rows.count, 1)
    }

    func testNotAResultsFile() throws {
        let path = dir.appendingPathComponent("old.csv").path
        try "image,class_name\nx,y\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsContents.read(path: path)) { XCTAssertTrue("\($0)".contains("configuration header"), "\($0)") }
    }

    /// The table does not depend on the order rows come in (it sums in the canonical order).
    func testSummaryIsOrderFree() throws {
        let rows = Self.allPairs.flatMap { p in ["grad-cam", "score-cam"].map { row(p, $0) } }
        let a = try MethodSummary.summarize(rows, methods: ["grad-cam", "score-cam"])
        for _ in 0..<5 {
            let b = try MethodSummary.summarize(rows.shuffled(), methods: ["grad-cam", "score-cam"])
            XCTAssertEqual(a.map(\.ebpg), b.map(\.ebpg)); XCTAssertEqual(a.map(\.drop), b.map(\.drop))
            XCTAssertEqual(a.map(\.deletion), b.map(\.deletion)); XCTAssertEqual(a.map(\.insertion), b.map(\.insertion))
            XCTAssertEqual(a.map(\.increase), b.map(\.increase)); XCTAssertEqual(a.map(\.msPerImage), b.map(\.msPerImage))
        }
    }

    func shardFiles(n: Int, methods: [String], tag: String = "", steps: String = "8",
                    drop: EvaluationPair? = nil) throws -> [String] {
        let plan = PairPlan(pairs: Self.allPairs, cost: [:])
        return try (0..<n).map { k in
            let s = try Shard(index: k, count: n)
            let mine = plan.pairs(of: s).sorted(by: EvaluationPair.canonicallyPrecedes)
            let rows = mine.filter { $0 != drop }.flatMap { p in methods.map { row(p, $0) } }
            return try write("\(tag)s\(k)of\(n).csv", header(mine, shard: s.description, methods: methods, steps: steps), rows: rows)
        }
    }

    func testMergeEqualsSingle() throws {
        let methods = ["grad-cam", "integrated-grad-cam"]
        let single = try ShardMerge.merge(paths: try shardFiles(n: 1, methods: methods))
        let merged = try ShardMerge.merge(paths: try shardFiles(n: 3, methods: methods).reversed())
        XCTAssertEqual(merged.methods, methods)
        for (a, b) in zip(single.table, merged.table) {
            XCTAssertEqual([a.ebpg, a.bbox, a.drop, a.increase, a.pointing, a.deletion, a.insertion],
                           [b.ebpg, b.bbox, b.drop, b.increase, b.pointing, b.deletion, b.insertion])
            XCTAssertEqual(a.pairs, 5)
        }
        // Score-CAM as its own array of another N.
        let split = try ShardMerge.merge(paths: try shardFiles(n: 2, methods: ["grad-cam"], tag: "g")
                                         + shardFiles(n: 4, methods: ["score-cam"], tag: "s"))
        XCTAssertEqual(split.methods, ["grad-cam", "score-cam"])
        XCTAssertEqual(split.table.map(\.pairs), [5, 5])
    }

    func assertMergeFails(_ paths: [String], mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ShardMerge.merge(paths: paths), file: file, line: line) { e in
            for w in words { XCTAssertTrue("\(e)".contains(w), "'\(w)' not in: \(e)", file: file, line: line) }
        }
    }

    func testMergeRefusals() throws {
        let three = try shardFiles(n: 3, methods: ["grad-cam"])
        assertMergeFails([three[0], three[2]], mentioning: ["shard 1/3", "missing"])
        assertMergeFails(three + [three[1]], mentioning: ["given twice", "1/3"])
        let other = try shardFiles(n: 3, methods: ["grad-cam"], tag: "o", steps: "50")
        assertMergeFails([three[0], three[1], other[2]], mentioning: ["different configurations", "steps: 8 vs 50"])
        let two = try shardFiles(n: 2, methods: ["grad-cam"], tag: "t")
        assertMergeFails([three[0], three[1], three[2], two[0], two[1]], mentioning: ["different numbers of shards"])
        let overlap = try shardFiles(n: 1, methods: ["grad-cam", "score-cam"], tag: "x")
        assertMergeFails(three + overlap, mentioning: ["grad-cam", "two sets"])
        // A shard that did not finish: its missing row is named.
        let lost = Self.allPairs[3]
        let unfinished = try shardFiles(n: 3, methods: ["grad-cam"], tag: "u", drop: lost)
        assertMergeFails(unfinished, mentioning: ["incomplete", "\(lost.imageID), \(lost.className), grad-cam", "--resume"])
    }

    /// Two shards that both claim a pair (e.g. made from different pair lists): named.
    func testDuplicatedPairNamed() throws {
        let plan = PairPlan(pairs: Self.allPairs, cost: [:])
        let s0 = plan.pairs(of: try Shard(index: 0, count: 2)).sorted(by: EvaluationPair.canonicallyPrecedes)
        let s1 = plan.pairs(of: try Shard(index: 1, count: 2)).sorted(by: EvaluationPair.canonicallyPrecedes)
        let extra = s0[0]
        let a = try write("a.csv", header(s0, shard: "0/2", methods: ["grad-cam"]), rows: s0.map { row($0, "grad-cam") })
        let b = try write("b.csv", header(s1 + [extra], shard: "1/2", methods: ["grad-cam"]),
                          rows: (s1 + [extra]).map { row($0, "grad-cam") })
        assertMergeFails([a, b], mentioning: ["duplicated", "\(extra.imageID), \(extra.className)"])
    }
}
