import Foundation
import XCTest

/// Sharded evaluation end to end with the real binary on the bundled set: 1 shard vs 3
/// shards + merge, merge refusals, --resume refusing another configuration, kill -9 at
/// random points (and mid-row) then --resume, and a full disk (a small tmpfs).
final class EvaluateShardTests: XCTestCase {
    let fm = FileManager.default

    /// The metric columns of a JSON table (everything but ms_per_image, a time).
    func metrics(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: String]] {
        guard let t = try parseJSON(r, file: file, line: line) as? [[String: Any]] else {
            XCTFail("not a JSON table: \(r.summary)", file: file, line: line); return []
        }
        return t.map { row in
            var m = [String: String]()
            for (k, v) in row where k != "ms_per_image" { m[k] = "\(v)" }
            return m
        }
    }

    /// The data records of a results CSV (header comments and column line dropped), each
    /// without its ms and pair_ms fields (times), as written.
    func dataRows(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }.dropFirst().map { line in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if f.count >= 14 { f[f.count - 3] = ""; f[f.count - 2] = "" }
            return f.joined(separator: ",")
        }
    }

    func testOneShardEqualsThreeShardsAndMergeChecks() throws {
        let dir = try makeTempDir(self)
        let base = ["evaluate", "--methods", "grad-cam", "--format", "json"]
        let single = try Igcam.ok(base + ["--results", "single.csv"], cwd: dir, timeout: 900)
        let expected = try metrics(single)
        XCTAssertEqual(expected.count, 1)
        XCTAssertEqual(expected.first?["pairs"], "10", "the bundled set has 10 image-class pairs")

        // Three shards, K and N given three ways: --shard, a Slurm array task, a Kubernetes index.
        let s0 = try Igcam.ok(base + ["--shard", "0/3", "--results", "s0.csv"], cwd: dir, timeout: 900)
        XCTAssertTrue(s0.stderr.contains("shard 0/3"), s0.summary)
        let s1 = try Igcam.ok(base + ["--results", "s1.csv"], cwd: dir, timeout: 900,
                              environment: ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "7", "SLURM_ARRAY_TASK_COUNT": "3"])
        XCTAssertTrue(s1.stderr.contains("shard 1/3 (from SLURM_ARRAY_TASK_ID=8)"), s1.summary)
        let s2 = try Igcam.ok(base + ["--shards", "3", "--results", "s2.csv"], cwd: dir, timeout: 900,
                              environment: ["JOB_COMPLETION_INDEX": "2"])
        XCTAssertTrue(s2.stderr.contains("shard 2/3"), s2.summary)
        let sizes = try ["s0.csv", "s1.csv", "s2.csv"].map { try dataRows(dir.appendingPathComponent($0)).count }
        XCTAssertEqual(sizes.reduce(0, +), 10)
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "unbalanced shards: \(sizes)")
        XCTAssertTrue(s0.stderr.contains("pairs"), "progress counts pairs: \(s0.summary)")

        let merged = try Igcam.ok(["evaluate", "merge", "s2.csv", "s0.csv", "s1.csv", "--format", "json"], cwd: dir)
        XCTAssertEqual(try metrics(merged), expected, "3 shards merged differ from the single-process table")
        // Merging the single run's own file gives its table exactly, times included.
        let again = try Igcam.ok(["evaluate", "merge", "single.csv", "--format", "json"], cwd: dir)
        XCTAssertEqual(again.stdout, single.stdout)
        let md = try Igcam.ok(["evaluate", "merge", "s0.csv", "s1.csv", "s2.csv"], cwd: dir)
        XCTAssertTrue(md.stdout.hasPrefix("| method |"), md.summary)

        // Refusals, each naming what is wrong.
        try Igcam.fails(["evaluate", "merge", "s0.csv", "s2.csv"], cwd: dir, mentioning: ["shard 1/3", "missing"])
        try Igcam.fails(["evaluate", "merge", "s0.csv", "s1.csv", "s1.csv", "s2.csv"], cwd: dir, mentioning: ["given twice"])
        try Igcam.fails(["evaluate", "merge", "single.csv", "s0.csv", "s1.csv", "s2.csv"], cwd: dir, mentioning: ["grad-cam"])
        // A shard that did not finish: drop its last row, merge names the pair.
        let s1URL = dir.appendingPathComponent("s1.csv")
        var lines = try String(contentsOf: s1URL, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast(2)   // the last row and the empty string after the final newline
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("s1-cut.csv"), atomically: true, encoding: .utf8)
        let cutRows = try dataRows(s1URL)
        let lostID = String(cutRows.last!.split(separator: ",")[0])
        try Igcam.fails(["evaluate", "merge", "s0.csv", "s1-cut.csv", "s2.csv"], cwd: dir,
                        mentioning: ["incomplete", lostID, "--resume"])
        // The cut shard resumes to the complete one: only the missing pair is computed.
        try fm.removeItem(at: s1URL)
        try fm.moveItem(at: dir.appendingPathComponent("s1-cut.csv"), to: s1URL)
        let resumed = try Igcam.ok(base + ["--shard", "1/3", "--results", "s1.csv", "--resume"], cwd: dir, timeout: 900)
        XCTAssertTrue(resumed.stderr.contains("resuming: \(cutRows.count - 1) rows"), resumed.summary)
        let merged2 = try Igcam.ok(["evaluate", "merge", "s0.csv", "s1.csv", "s2.csv", "--format", "json"], cwd: dir)
        XCTAssertEqual(try metrics(merged2), expected)
    }

    func testResumeRefusesAnotherConfiguration() throws {
        let dir = try makeTempDir(self)
        let args = ["evaluate", "--methods", "grad-cam", "--limit", "3", "--steps", "8", "--results", "R.csv"]
        try Igcam.ok(args, cwd: dir, timeout: 600)
        let before = try String(contentsOf: dir.appendingPathComponent("R.csv"), encoding: .utf8)
        XCTAssertTrue(before.contains("# steps=8\n") && before.contains("# model_sha256="), before)
        try Igcam.fails(args.dropLast(4) + ["--steps", "9", "--results", "R.csv", "--resume"], cwd: dir,
                        mentioning: ["different configuration", "steps: 8 vs 9"])
        try Igcam.fails(args + ["--resume", "--shard", "1/2"], cwd: dir, mentioning: ["different configuration", "shard: 0/1 vs 1/2"])
        try Igcam.fails(args + ["--resume", "--layer", "_blocks.10"], cwd: dir, mentioning: ["layer"])
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("R.csv"), encoding: .utf8), before,
                       "a refused --resume changed the file")
        // A file of another program (no configuration header) is refused, not appended to.
        try "image,class_name\nx,y\n".write(to: dir.appendingPathComponent("old.csv"), atomically: true, encoding: .utf8)
        try Igcam.fails(["evaluate", "--methods", "grad-cam", "--limit", "3", "--results", "old.csv", "--resume"], cwd: dir,
                        mentioning: ["old.csv", "configuration header"])
        // Usage errors: exit 2 from ArgumentParser's validation.
        for bad in [["--shard", "3/3"], ["--shard", "x"], ["--baseline", ""], ["--methods", "grad-cam,nope"], ["--format", "xml"]] {
            let r = try Igcam.run(["evaluate"] + bad, cwd: dir)
            // A usage error: 64 (EX_USAGE, ArgumentParser's default) or 2 where igcam maps usage errors to 2.
            XCTAssertTrue(r.status == 2 || r.status == 64, r.summary)
            XCTAssertTrue(r.stderr.contains("rror"), r.summary)
        }
    }

    /// kill -9 at random moments, at least two of them while a row is half written (the test
    /// hook pauses between the two halves of each row), then --resume: exactly the rows and
    /// table of an uninterrupted run.
    func testKillNineAtRandomPointsThenResume() throws {
        let dir = try makeTempDir(self)
        let args = ["evaluate", "--methods", "grad-cam", "--limit", "4", "--format", "json"]
        let reference = try Igcam.ok(args + ["--results", "ref.csv"], cwd: dir, timeout: 900)
        let refRows = try dataRows(dir.appendingPathComponent("ref.csv"))
        XCTAssertEqual(refRows.count, 5, "5 pairs x 1 method")
        let results = dir.appendingPathComponent("R.csv")
        var kills = 0, midRow = 0, attempt = 0
        var rng = SystemRandomNumberGenerator()
        while kills < 6 || midRow < 2 {
            attempt += 1
            XCTAssertLessThan(attempt, 40, "could not place the kills"); if attempt >= 40 { break }
            let p = try Igcam.spawn(args + ["--results", "R.csv"] + (attempt > 1 ? ["--resume"] : []), cwd: dir,
                                    environment: ["IGCAM_TEST_ROW_WRITE_PAUSE": "0.4"])
            let wantMidRow = attempt % 2 == 0
            let deadline = Date().addingTimeInterval(wantMidRow ? 120 : Double.random(in: 0.3...8, using: &rng))
            var torn = false
            while p.isRunning, Date() < deadline {
                if wantMidRow, let d = try? Data(contentsOf: results), d.count > 0, d.last != UInt8(ascii: "\n") {
                    torn = true; break
                }
                usleep(20_000)
            }
            guard p.isRunning else { p.waitUntilExit(); break }   // finished before the kill
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            kills += 1
            if torn { midRow += 1 }
        }
        XCTAssertGreaterThanOrEqual(kills, 5, "kills placed: \(kills)")
        let final = try Igcam.ok(args + ["--results", "R.csv", "--resume"], cwd: dir, timeout: 900)
        XCTAssertEqual(try dataRows(results), refRows, "after \(kills) kills (\(midRow) mid-row) and --resume")
        XCTAssertEqual(try metrics(final), try metrics(reference))
        XCTAssertGreaterThanOrEqual(midRow, 2, "kills in the middle of a row: \(midRow)")
    }

    /// A results file on a full file system: a clear error, the file still ends with a whole
    /// row, and after space is freed --resume completes it to exactly the rows of a run that had
    /// room. Needs root (mount -t tmpfs); rows come fast from unreadable images.
    func testFullDiskGivesClearErrorAndResumes() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let dir = try makeTempDir(self)
        let voc = URL(fileURLWithPath: Igcam.asset("voc"))
        let root = dir.appendingPathComponent("voc")
        for d in ["Annotations", "JPEGImages", "ImageSets/Main"] {
            try fm.createDirectory(at: root.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(at: root.appendingPathComponent("classmap-imagenet.json"),
                                  withDestinationURL: voc.appendingPathComponent("classmap-imagenet.json"))
        let cat = try String(contentsOf: voc.appendingPathComponent("Annotations/skimage_chelsea.xml"), encoding: .utf8)
        var ids = [String]()
        for i in 0..<80 {
            let id = String(format: "broken_%03d", i)
            ids.append(id)
            try cat.write(to: root.appendingPathComponent("Annotations/\(id).xml"), atomically: true, encoding: .utf8)
            try "this is not a JPEG, it is text\n".write(to: root.appendingPathComponent("JPEGImages/\(id).jpg"), atomically: true, encoding: .utf8)
        }
        try (ids.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("ImageSets/Main/test.txt"), atomically: true, encoding: .utf8)
        let args = ["evaluate", "--voc", root.path, "--methods", "grad-cam"]
        try Igcam.fails(args + ["--results", "ref.csv"], cwd: dir, mentioning: ["nothing was evaluated"])
        let refRows = try dataRows(dir.appendingPathComponent("ref.csv"))
        XCTAssertEqual(refRows.count, 80)
        let refSize = try Data(contentsOf: dir.appendingPathComponent("ref.csv")).count
        XCTAssertGreaterThan(refSize, 8192, "the rows must not fit in 2 pages")

        let mnt = dir.appendingPathComponent("small")
        try fm.createDirectory(at: mnt, withIntermediateDirectories: true)
        guard shell("mount -t tmpfs -o size=8k tmpfs '\(mnt.path)'") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (no permission in this container)")
        }
        addTeardownBlock { _ = self.shell("umount '\(mnt.path)'") }
        let full = try Igcam.fails(args + ["--results", mnt.appendingPathComponent("R.csv").path], cwd: dir,
                                   mentioning: ["No space left on device", "R.csv", "--resume"])
        XCTAssertFalse(full.stderr.contains("nothing was evaluated"), full.summary)
        let partial = try Data(contentsOf: mnt.appendingPathComponent("R.csv"))
        XCTAssertEqual(partial.last, UInt8(ascii: "\n"), "the file must end with a whole row")
        let kept = try dataRows(mnt.appendingPathComponent("R.csv"))
        XCTAssertGreaterThan(kept.count, 0)
        XCTAssertLessThan(kept.count, 80)
        XCTAssertEqual(kept, Array(refRows.prefix(kept.count)))
        // Free space (grow the tmpfs) and resume.
        XCTAssertEqual(shell("mount -o remount,size=1m '\(mnt.path)'"), 0)
        let r = try Igcam.fails(args + ["--results", mnt.appendingPathComponent("R.csv").path, "--resume"], cwd: dir,
                                mentioning: ["nothing was evaluated"])
        XCTAssertTrue(r.stderr.contains("resuming: \(kept.count) rows"), r.summary)
        XCTAssertEqual(try dataRows(mnt.appendingPathComponent("R.csv")), refRows)
    }

    @discardableResult
    func shell(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command + " 2>/dev/null"]
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

extension Igcam {
    /// Starts `igcam args` with extra environment variables and returns at once (stdout and
    /// stderr to files in `cwd`, named after the pid), for tests that kill it.
    static func spawn(_ args: [String], cwd: URL, environment: [String: String] = [:]) throws -> Process {
        guard let binary else { throw XCTSkip("no igcam binary: run `swift build -c release --product igcam` first") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = cwd
        p.environment = childEnvironment(environment)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
