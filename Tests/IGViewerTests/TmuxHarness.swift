import Foundation
import XCTest
import IGImaging

/// A colour decoded from tmux's `capture-pane -e` SGR output.
enum SGRColor: Hashable {
    case normal
    case rgb(Int, Int, Int)
    case index(Int)
}

/// One captured cell.
struct CapturedCell: Equatable {
    var ch: Character
    var fg: SGRColor
    var bg: SGRColor
}

/// Decodes `capture-pane -p -e -N` text into rows of cells: SGR colour
/// sequences (24-bit, 256, 16 colours, resets) are tracked, any other escape
/// sequence is skipped, every other character takes one column.
func decodeCapture(_ text: String) -> [[CapturedCell]] {
    var rows = [[CapturedCell]]()
    var fg = SGRColor.normal, bg = SGRColor.normal
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var row = [CapturedCell]()
        var it = Array(line)
        var i = 0
        while i < it.count {
            let c = it[i]
            if c == "\u{1B}" {
                // CSI: ESC [ params final
                var j = i + 1
                guard j < it.count, it[j] == "[" else { i += 2; continue }
                j += 1
                var params = ""
                while j < it.count, !(it[j].isLetter) { params.append(it[j]); j += 1 }
                if j < it.count, it[j] == "m" {
                    applySGR(params, &fg, &bg)
                }
                i = j + 1
                continue
            }
            row.append(CapturedCell(ch: c, fg: fg, bg: bg))
            i += 1
        }
        it.removeAll()
        rows.append(row)
    }
    return rows
}

func applySGR(_ params: String, _ fg: inout SGRColor, _ bg: inout SGRColor) {
    let p = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
    var k = 0
    while k < p.count {
        let v = p[k]
        switch v {
        case 0: fg = .normal; bg = .normal
        case 30...37: fg = .index(v - 30)
        case 90...97: fg = .index(v - 90 + 8)
        case 40...47: bg = .index(v - 40)
        case 100...107: bg = .index(v - 100 + 8)
        case 39: fg = .normal
        case 49: bg = .normal
        case 38, 48:
            var col = SGRColor.normal
            if k + 1 < p.count, p[k + 1] == 2, k + 4 < p.count {
                col = .rgb(p[k + 2], p[k + 3], p[k + 4]); k += 4
            } else if k + 1 < p.count, p[k + 1] == 5, k + 2 < p.count {
                col = .index(p[k + 2]); k += 2
            }
            if v == 38 { fg = col } else { bg = col }
        default: break
        }
        k += 1
    }
}

/// A private tmux server running one program in a detached session.
/// `{STDERR}` in the command becomes a file whose tail failures show.
///
/// The pane runs a small shell that runs the command and writes its exit
/// status to a file: tmux's own `pane_dead_status` has now and then stayed
/// empty in loaded full-suite runs. The shell traps INT/TERM/HUP with a no-op
/// handler (reset to the default in the program, unlike an ignored signal), so
/// Ctrl-C reaches the program and the shell still records how it ended.
final class TmuxSession {
    let socket = "igcam-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let conf: String
    static var tmuxPath: String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(command: String, width: Int = 120, height: Int = 40) throws {
        conf = NSTemporaryDirectory() + socket + ".conf"
        try """
            set -g default-terminal tmux-256color
            set -s escape-time 0
            set -g remain-on-exit on
            set -g status off
            set -g history-limit 0

            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let cmd = "trap 'true' INT TERM HUP; " + command.replacingOccurrences(of: "{STDERR}", with: "'\(stderrPath)'")
            + "; echo $? > '\(statusPath).tmp' && mv '\(statusPath).tmp' '\(statusPath)'"
        let r = tmux(["-f", conf, "new-session", "-d", "-s", "S", "-x", "\(width)", "-y", "\(height)", cmd])
        if r.status != 0 { throw NSError(domain: "tmux", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: "tmux new-session failed: \(r.out)"]) }
    }

    deinit { kill() }

    /// Runs tmux on this server with posix_spawn and waitpid. (Foundation's
    /// Process watches the child through a descriptor that the tmux server,
    /// forked by new-session, would hold forever; output goes through a file
    /// for the same reason.)
    @discardableResult
    func tmux(_ args: [String]) -> (status: Int32, out: String) {
        let outPath = NSTemporaryDirectory() + socket + ".out-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(outPath) }
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&fa, 1, 2)
        let exe = TmuxSession.tmuxPath ?? "/usr/bin/tmux"
        let argv: [UnsafeMutablePointer<CChar>?] = ([exe, "-L", socket] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        // The tmux server (and the program in its pane) must not inherit a signal mask or
        // ignored signals from this test process.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let rc = posix_spawn(&pid, exe, &fa, &attr, argv, environ)
        guard rc == 0 else { return (-1, "posix_spawn tmux: \(String(cString: strerror(rc)))") }
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = (st & 0x7f) == 0
        return (exited ? (st >> 8) & 0xff : -1, text)
    }

    func keys(_ k: String...) { tmux(["send-keys", "-t", "S"] + k) }
    func literal(_ s: String) { tmux(["send-keys", "-t", "S", "-l", s]) }
    func display(_ fmt: String) -> String { tmux(["display", "-p", "-t", "S", fmt]).out.trimmingCharacters(in: .whitespacesAndNewlines) }
    func text() -> String { tmux(["capture-pane", "-p", "-N", "-t", "S"]).out }
    func cells() -> [[CapturedCell]] { decodeCapture(tmux(["capture-pane", "-p", "-e", "-N", "-t", "S"]).out) }
    func resize(_ w: Int, _ h: Int) { tmux(["resize-window", "-t", "S", "-x", "\(w)", "-y", "\(h)"]) }

    /// Polls the screen text until `cond` holds or `seconds` pass; returns the last text.
    @discardableResult
    func wait(_ seconds: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line, _ cond: (String) -> Bool) -> String {
        let end = Date().addingTimeInterval(seconds)
        var t = text()
        while !cond(t) {
            if Date() > end {
                XCTFail("timed out after \(seconds) s waiting for \(what); screen:\n\(t)\nstderr: \(stderrTail)", file: file, line: line)
                return t
            }
            if let st = recordedStatus {
                XCTFail("the program exited while waiting for \(what) (status \(st)); screen:\n\(t)\nstderr: \(stderrTail)", file: file, line: line)
                return t
            }
            usleep(50_000)
            t = text()
        }
        return t
    }

    var stderrPath: String { NSTemporaryDirectory() + socket + ".stderr" }
    var statusPath: String { NSTemporaryDirectory() + socket + ".status" }

    /// The exit status the pane's shell recorded (128 + n for a signal n), once the program ended.
    var recordedStatus: Int? {
        (try? String(contentsOfFile: statusPath, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The program's pid: the child of the pane's shell (Linux /proc).
    func programPID() -> Int32? {
        guard let shell = Int32(display("#{pane_pid}")),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for e in entries {
            guard let pid = Int32(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == shell { return pid }
        }
        return nil
    }
    var stderrTail: String { ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "").suffix(2000).description }

    /// Waits until the pane's program has exited; returns its status (nil on timeout).
    func waitExit(_ seconds: Double) -> Int? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let st = recordedStatus { return st }
            usleep(50_000)
        }
        return nil
    }

    /// Presses q and waits for the program to exit; returns its status.
    func quit() -> Int? {
        keys("q")
        return waitExit(30)
    }

    func kill() {
        tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: conf)
        try? FileManager.default.removeItem(atPath: stderrPath)
        try? FileManager.default.removeItem(atPath: statusPath)
    }
}

/// What every end-to-end viewer test needs: the repository, the release binary and the
/// bundled cat, and a skip (saying why) when tmux or the binary is missing.
class ViewerE2ETestCase: XCTestCase {
    /// The map `igcam explain --raw` writes with the viewer's defaults (IG-CAM, default layer, top class, m = 50).
    func rawMap(_ dir: String) throws -> (data: [Float], shape: [Int]) {
        let npy = dir + "/map.npy"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["explain", cat, "--raw", npy]
        p.standardOutput = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let raw = try readNPY(path: npy)
        return (raw.data, raw.shape)
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    var root: String { Self.root }
    var binary: String { Self.root + "/.build/release/igcam" }
    var cat: String { Self.root + "/assets/photos/cat.png" }

    override func setUpWithError() throws {
        guard TmuxSession.tmuxPath != nil else { throw XCTSkip("tmux is not installed") }
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("no \(binary): run swift build -c release --product igcam") }
        guard FileManager.default.fileExists(atPath: cat) else { throw XCTSkip("no bundled photo \(cat)") }
    }
}
