import Foundation
import XCTest

/// The terminal goes away without a SIGHUP reaching the viewer (its tty is not its
/// controlling terminal, as under some SSH/nohup/job-control set-ups): reads then fail at
/// once, and before the fix the key loop spun at 100 % CPU forever (one such viewer was found
/// after 65 CPU-minutes). Now it notices the hang-up (poll: POLLHUP) and exits 129.
final class HangUpTests: XCTestCase {
    static let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430

    func testViewerExitsWhenItsTerminalHangsUpWithoutSIGHUP() throws {
        let root = TmuxE2ETests.root, binary = root + "/.build/release/igcam"
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("no \(binary): run swift build -c release --product igcam") }
        // A pseudo-terminal opened with O_NOCTTY: the viewer's stdin/stdout, never its controlling tty.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, Self.TIOCSPTLCK, &unlock) == 0, ioctl(master, Self.TIOCGPTN, &number) == 0 else {
            throw XCTSkip("no pseudo-terminal here: \(String(cString: strerror(errno)))")
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        XCTAssertGreaterThanOrEqual(slave, 0)
        var ws = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
        _ = withUnsafeMutablePointer(to: &ws) { ioctl(slave, UInt(TIOCSWINSZ), $0) }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["view", root + "/assets/photos/cat.png"]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        p.environment = env
        let tty = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        p.standardInput = tty; p.standardOutput = tty; p.standardError = FileHandle.nullDevice
        try p.run()
        close(slave)

        // Read what it draws (so it never blocks on output) until the first screen is up.
        var seen = Data(), buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("igcam") {
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) > 0 {
                let n = read(master, &buf, buf.count)
                if n <= 0 { break }
                seen.append(contentsOf: buf[0..<n])
            }
        }
        XCTAssertTrue(String(decoding: seen, as: UTF8.self).contains("igcam"), "the viewer drew its screen")
        XCTAssertTrue(p.isRunning, "the viewer is up before the hang-up")

        close(master)   // the terminal goes away; no SIGHUP (not the viewer's controlling tty)
        let gone = Date().addingTimeInterval(10)
        while p.isRunning && Date() < gone { usleep(50_000) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); return XCTFail("the viewer still ran 10 s after its terminal hung up") }
        XCTAssertEqual(p.terminationStatus, 129, "exit status 128 + SIGHUP")
    }
}
