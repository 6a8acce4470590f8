import Foundation
import XCTest

/// What one run of the real `igcam` binary produced.
struct RunResult {
    var arguments: [String]
    var status: Int32
    /// True when the process ended by a signal (a crash, or our timeout kill).
    var signalled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String
    var seconds: Double

    var summary: String {
        "igcam \(arguments.joined(separator: " ")) -> \(signalled ? "signal" : "exit") \(status)"
            + (timedOut ? " (timed out)" : "") + "\n--- stdout\n\(stdout.suffix(3000))\n--- stderr\n\(stderr.suffix(3000))"
    }
}

/// Finds and runs the `igcam` executable built next to the test bundle.
enum Igcam {
    /// The repository root (this file is Tests/IGCLITests/IgcamRunner.swift).
    static let repo: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func asset(_ relative: String) -> String { repo.appendingPathComponent("assets/" + relative).path }

    /// The binary: in the directory of the running test bundle, else `<repo>/.build/release/igcam`.
    static let binary: String? = {
        let fm = FileManager.default
        var dirs = [URL]()
        if let a0 = CommandLine.arguments.first {
            dirs.append(URL(fileURLWithPath: a0).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for b in [Bundle.main] + Bundle.allBundles {
            dirs.append(b.bundleURL.deletingLastPathComponent())
            if let e = b.executableURL { dirs.append(e.resolvingSymlinksInPath().deletingLastPathComponent()) }
        }
        dirs.append(repo.appendingPathComponent(".build/release"))
        for d in dirs {
            let p = d.appendingPathComponent("igcam").path
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// The child's environment: ours, the bundled assets, no scheduler variables (a test run
    /// inside a Slurm or Kubernetes job must not shard these runs), then `extra`.
    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["IGCAM_ASSETS"] = repo.appendingPathComponent("assets").path
        for k in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
            env[k] = nil
        }
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs `igcam args` in `cwd`, killing it after `timeout` seconds. Output goes
    /// through files, so a chatty process can never block on a full pipe.
    static func run(_ args: [String], cwd: URL, timeout: Double = 120, environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        guard let binary else {
            XCTFail("igcam binary not found next to the test bundle nor in \(repo.path)/.build/release: "
                    + "run `swift build -c release --product igcam` first", file: file, line: line)
            throw XCTSkip("no igcam binary")
        }
        let fm = FileManager.default
        let tag = UUID().uuidString
        let outURL = fm.temporaryDirectory.appendingPathComponent("igcam-out-\(tag)")
        let errURL = fm.temporaryDirectory.appendingPathComponent("igcam-err-\(tag)")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        defer { try? fm.removeItem(at: outURL); try? fm.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = cwd
        p.environment = childEnvironment(environment)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let start = Date()
        try p.run()
        var timedOut = false
        while p.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                p.terminate()
                let grace = Date()
                while p.isRunning, Date().timeIntervalSince(grace) < 5 { usleep(50_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        p.waitUntilExit()
        try? out.close(); try? err.close()
        let r = RunResult(arguments: args, status: p.terminationStatus,
                          signalled: p.terminationReason == .uncaughtSignal, timedOut: timedOut,
                          stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                          seconds: Date().timeIntervalSince(start))
        XCTAssertFalse(timedOut, "timed out after \(timeout) s: \(r.summary)", file: file, line: line)
        XCTAssertFalse(r.signalled, "crashed (killed by signal \(r.status)): \(r.summary)", file: file, line: line)
        return r
    }

    /// Runs and requires exit status 0.
    @discardableResult
    static func ok(_ args: [String], cwd: URL, timeout: Double = 120, environment: [String: String] = [:],
                   file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try run(args, cwd: cwd, timeout: timeout, environment: environment, file: file, line: line)
        XCTAssertEqual(r.status, 0, r.summary, file: file, line: line)
        return r
    }

    /// Runs and requires a clean failure: non-zero exit (not a signal) and an
    /// error on stderr that contains every one of `mentions` (case-insensitive).
    @discardableResult
    static func fails(_ args: [String], cwd: URL, mentioning mentions: [String], timeout: Double = 120,
                      file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try run(args, cwd: cwd, timeout: timeout, file: file, line: line)
        XCTAssertNotEqual(r.status, 0, "expected failure: \(r.summary)", file: file, line: line)
        let err = r.stderr.lowercased()
        XCTAssertTrue(err.contains("error"), "stderr has no error message: \(r.summary)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(err.contains(m.lowercased()), "stderr does not mention '\(m)': \(r.summary)", file: file, line: line)
        }
        return r
    }
}

/// A fresh temporary directory, removed by the test case's teardown.
func makeTempDir(_ test: XCTestCase) throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("igcam-clitest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: d) }
    return d
}

/// Every entry of `dir` (hidden ones too), sorted.
func listing(_ dir: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
}

/// Parses stdout as JSON.
func parseJSON(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
    do {
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    } catch {
        XCTFail("stdout is not JSON (\(error)): \(r.summary)", file: file, line: line)
        throw error
    }
}
