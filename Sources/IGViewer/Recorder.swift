import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--record FILE.cast`: the viewer runs on a pseudo-terminal whose output
/// this recorder copies to the real terminal and, time-stamped, into an
/// asciinema v2 file (a JSON header line, then `[seconds, "o", data]` lines;
/// `[seconds, "r", "WxH"]` on resize). Keys typed on the real terminal go to
/// the pseudo-terminal unchanged (Ctrl-C becomes SIGINT to the viewer, as the
/// pseudo-terminal has no foreground process group to signal). The file is
/// written under a temporary name and renamed by `finish`.
///
/// Sendable by hand (`@unchecked`), for its two pump threads: they use only
/// the file descriptors (lets), `file` under `lock`, and the flags and
/// buffer under `lock`; `saved` and `size` belong to the UI thread (init,
/// `syncSize`, `finish`) and are never touched by the pumps.
final class Recorder: @unchecked Sendable {
    let path: String
    private let temp: String
    private let master: Int32
    private let slave: Int32
    private let realIn: Int32
    private let realOut: Int32
    private var saved = termios()
    private let file: FileHandle
    private let start = DispatchTime.now().uptimeNanoseconds
    private let lock = NSLock()
    private var stopping = false
    private var finished = false
    private var pending = [UInt8]()
    private let outDone = DispatchSemaphore(value: 0)
    private let inDone = DispatchSemaphore(value: 0)
    private(set) var size: (width: Int, height: Int)
    /// Linux ioctl numbers (asm-generic/ioctls.h): _IOW('T', 0x31, int) and _IOR('T', 0x30, unsigned int).
    static let TIOCSPTLCK: UInt = 0x4004_5431
    static let TIOCGPTN: UInt = 0x8004_5430

    /// Switches stdin/stdout to a new pseudo-terminal of the real terminal's size.
    init(path: String, environment env: [String: String]) throws {
        guard isatty(0) == 1, isatty(1) == 1 else { throw ViewerError("--record needs a terminal (stdin and stdout must be a tty)") }
        self.path = path
        temp = (path as NSString).deletingLastPathComponent.isEmpty
            ? ".\(path).tmp-\(getpid())"
            : (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let f = FileHandle(forWritingAtPath: temp) else {
            throw ViewerError("cannot write the recording \(path)")
        }
        file = f
        // posix_openpt/grantpt/unlockpt/ptsname are not visible to Swift here: the Linux
        // equivalents are /dev/ptmx, TIOCSPTLCK (unlock) and TIOCGPTN (the slave's number).
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard m >= 0, ioctl(m, Recorder.TIOCSPTLCK, &unlock) == 0, ioctl(m, Recorder.TIOCGPTN, &number) == 0 else {
            if m >= 0 { Glibc.close(m) }
            try? FileManager.default.removeItem(atPath: temp)
            throw ViewerError("--record: cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let name = "/dev/pts/\(number)"
        let s = open(name, O_RDWR | O_NOCTTY)
        guard s >= 0 else {
            Glibc.close(m)
            try? FileManager.default.removeItem(atPath: temp)
            throw ViewerError("--record: cannot open \(name)")
        }
        master = m; slave = s
        var ws = winsize()
        _ = withUnsafeMutablePointer(to: &ws) { ioctl(1, UInt(TIOCGWINSZ), $0) }
        if ws.ws_col == 0 || ws.ws_row == 0 { ws.ws_col = 80; ws.ws_row = 24 }
        _ = withUnsafeMutablePointer(to: &ws) { ioctl(s, UInt(TIOCSWINSZ), $0) }
        size = (Int(ws.ws_col), Int(ws.ws_row))
        tcgetattr(0, &saved)
        var raw = saved
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
        realIn = dup(0); realOut = dup(1)
        dup2(s, 0); dup2(s, 1)
        var header: [String: Any] = ["version": 2, "width": size.width, "height": size.height, "timestamp": Int(Date().timeIntervalSince1970)]
        var e = [String: String]()
        for k in ["TERM", "SHELL", "COLORTERM"] { if let v = env[k] { e[k] = v } }
        header["env"] = e
        if let d = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) { file.write(d + Data("\n".utf8)) }
        let out = Thread { [self] in pumpOut() }
        out.name = "igcam-record-out"
        out.start()
        let inp = Thread { [self] in pumpIn() }
        inp.name = "igcam-record-in"
        inp.start()
    }

    private var now: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// One event line.
    private func event(_ kind: String, _ data: String) {
        let t = (now * 1e6).rounded() / 1e6
        if let d = try? JSONSerialization.data(withJSONObject: [t, kind, data] as [Any], options: []) {
            lock.lock(); file.write(d + Data("\n".utf8)); lock.unlock()
        }
    }

    /// Output of the viewer: to the real terminal and into the file, cut at
    /// whole UTF-8 characters.
    private func pumpOut() {
        var buf = [UInt8](repeating: 0, count: 65536)
        var quietSince: Double?
        while true {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 20)
            if r > 0 && (p.revents & Int16(POLLIN)) != 0 {
                let n = read(master, &buf, buf.count)
                if n <= 0 { break }
                var off = 0
                while off < n {
                    let w = buf.withUnsafeBufferPointer { write(realOut, $0.baseAddress! + off, n - off) }
                    if w <= 0 { if errno == EINTR { continue }; break }
                    off += w
                }
                pending += buf[0..<n]
                let cut = utf8Prefix(pending)
                if cut > 0 {
                    event("o", String(decoding: pending[0..<cut], as: UTF8.self))
                    pending.removeFirst(cut)
                }
                quietSince = nil
            } else if isStopping {
                // Drained: nothing more for 100 ms after the viewer closed the screen.
                if quietSince == nil { quietSince = now }
                if now - quietSince! > 0.1 { break }
            }
        }
        if !pending.isEmpty { event("o", String(decoding: pending, as: UTF8.self)); pending = [] }
        outDone.signal()
    }

    /// Keys: real terminal to the pseudo-terminal.
    private func pumpIn() {
        var buf = [UInt8](repeating: 0, count: 4096)
        while !isStopping {
            var p = pollfd(fd: realIn, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0, (p.revents & Int16(POLLIN)) != 0 else { continue }
            let n = read(realIn, &buf, buf.count)
            if n <= 0 { break }
            if buf[0..<n].contains(3) { kill(getpid(), SIGINT) }
            _ = buf.withUnsafeBufferPointer { write(master, $0.baseAddress!, n) }
        }
        inDone.signal()
    }

    /// Gives the pseudo-terminal the real terminal's size when that changed;
    /// returns the new size then (the caller tells ncurses).
    func syncSize() -> (width: Int, height: Int)? {
        var ws = winsize()
        guard withUnsafeMutablePointer(to: &ws, { ioctl(realOut, UInt(TIOCGWINSZ), $0) }) == 0, ws.ws_col > 0, ws.ws_row > 0,
              Int(ws.ws_col) != size.width || Int(ws.ws_row) != size.height else { return nil }
        _ = withUnsafeMutablePointer(to: &ws) { ioctl(slave, UInt(TIOCSWINSZ), $0) }
        size = (Int(ws.ws_col), Int(ws.ws_row))
        event("r", "\(size.width)x\(size.height)")
        return size
    }

    /// After the screen is closed: copies the last output, gives the real
    /// terminal back (descriptors and modes) and renames the recording into
    /// place. Safe to call twice.
    func finish() throws {
        lock.lock()
        if finished { lock.unlock(); return }
        finished = true; stopping = true
        lock.unlock()
        outDone.wait()
        inDone.wait()
        dup2(realIn, 0); dup2(realOut, 1)
        tcsetattr(0, TCSANOW, &saved)
        Glibc.close(realIn); Glibc.close(realOut); Glibc.close(master); Glibc.close(slave)
        file.synchronizeFile()
        file.closeFile()
        if rename(temp, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw ViewerError("cannot write the recording \(path): \(why)")
        }
    }
}

/// The length of the longest prefix of `b` that does not end inside a UTF-8 character.
func utf8Prefix(_ b: [UInt8]) -> Int {
    let n = b.count
    var i = n - 1
    var back = 0
    while i >= 0 && back < 4 {
        let c = b[i]
        if c & 0xC0 != 0x80 {
            // A lead byte (or ASCII): does its character fit?
            let need = c < 0x80 ? 1 : (c >> 5 == 0x6 ? 2 : (c >> 4 == 0xE ? 3 : (c >> 3 == 0x1E ? 4 : 1)))
            return i + need <= n ? n : i
        }
        i -= 1; back += 1
    }
    return n
}
