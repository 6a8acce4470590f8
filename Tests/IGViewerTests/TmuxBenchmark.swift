import Foundation
import XCTest

/// Responsiveness benchmark (numbers, not assertions): the real binary in a
/// 200x60 tmux pane; display-only keys (o, c) are pressed one at a time
/// and the viewer's own frame log (IGCAM_VIEWER_TIMING) gives the time from
/// the key's arrival to the end of the ncurses refresh. Run with
/// IGCAM_VIEWER_BENCH=1 swift test -c release --filter TmuxBenchmark
/// The first screen line containing `label`.
func panelValue(_ text: String, _ label: String) -> String {
    for line in text.split(separator: "\n") where line.contains(label) { return String(line) }
    return ""
}

final class TmuxBenchmark: XCTestCase {
    func testDisplayKeyToRedraw() throws {
        guard ProcessInfo.processInfo.environment["IGCAM_VIEWER_BENCH"] == "1" else { throw XCTSkip("set IGCAM_VIEWER_BENCH=1") }
        let root = TmuxE2ETests.root
        let binary = root + "/.build/release/igcam", cat = root + "/assets/photos/cat.png"
        guard TmuxSession.tmuxPath != nil, FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("needs tmux and \(binary)") }
        for truecolor in [true, false] {
            let log = NSTemporaryDirectory() + "igcam-timing-\(UUID().uuidString)"
            let colour: String = truecolor ? "COLORTERM=truecolor" : "TERM=tmux-256color"
            let cmd: String = "cd '" + root + "' && env " + (truecolor ? "" : "-u COLORTERM ") + "IGCAM_VIEWER_TIMING=" + log + " " + colour + " '" + binary + "' view '" + cat + "' 2>{STDERR}"
            let s = try TmuxSession(command: cmd, width: 200, height: 60)
            defer { s.kill(); try? FileManager.default.removeItem(atPath: log) }
            s.wait(240, "the first map") { $0.contains("last ") }
            // The m ladder runs after the first map: let it finish so it does not compete.
            s.wait(240, "the m ladder") { $0.contains("6/6") }
            usleep(300_000)
            func logLines() -> Int { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count }
            var marks = [(String, Int, Int)]()
            func phase(_ name: String, _ body: () -> Int) { let a = logLines(); let n = body(); marks.append((name, a, n)) }
            phase("display keys o/c") {
                var presses = 0
                for _ in 0..<12 {
                    for (key, label) in [("o", "opacity"), ("c", "colours")] {
                        let before: String = panelValue(s.text(), label)
                        s.keys(key)
                        presses += 1
                        s.wait(10, "\(key) redraw") { t in panelValue(t, label) != before }
                        usleep(100_000)
                    }
                }
                return presses
            }
            s.keys("x")
            s.wait(10, "probe") { $0.contains("probe ") }
            usleep(300_000)
            phase("probe moves") {
                var presses = 0
                for i in 0..<24 {
                    let before: String = panelValue(s.text(), "probe ")
                    s.keys(i % 2 == 0 ? "Right" : "Left")
                    presses += 1
                    s.wait(10, "probe move") { t in panelValue(t, "probe ") != before }
                    usleep(100_000)
                }
                return presses
            }
            s.keys("x")
            phase("view toggles t/d") {
                var presses = 0
                for _ in 0..<6 {
                    for (key, on) in [("t", "m=32"), ("t", "view     "), ("d", "A - B"), ("d", "view     ")] {
                        s.keys(key)
                        presses += 1
                        s.wait(10, "\(key) toggle") { $0.contains(on) && (on != "view     " || (!$0.contains("m=32") && !$0.contains("A - B"))) }
                        usleep(150_000)
                    }
                }
                return presses
            }
            s.keys("q")
            _ = s.waitExit(20)
            let all = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            for (i, m) in marks.enumerated() {
                let end = i + 1 < marks.count ? marks[i + 1].1 : all.count
                let lines = all[min(m.1, all.count)..<min(end, all.count)]
                let rows = lines.map { $0.split(separator: " ").dropFirst().compactMap { Double($0) } }.filter { $0.count == 3 }
                func stat(_ i: Int) -> String {
                    let v = rows.map { $0[i] }.sorted()
                    guard !v.isEmpty else { return "n/a" }
                    return String(format: "median %.2f ms, p90 %.2f ms, max %.2f ms", v[v.count / 2], v[min(v.count - 1, v.count * 9 / 10)], v.last!)
                }
                print("BENCH \(truecolor ? "truecolor" : "256") 200x60 \(m.0), \(rows.count) frames after \(m.2) keys: key->refresh \(stat(0)); draw \(stat(1)); ncurses show \(stat(2))")
            }
        }
    }

    /// `--graphics sixel` at 120x40 (tmux passes the bytes on; pipe-pane is not needed): the
    /// UI thread's time per frame ("show": ncurses' refresh plus the picture's bytes, and
    /// before the picture moved off the UI thread, its encoding) for display keys (o: a new
    /// picture each), probe moves (patches), and the frames of partial maps after + (m = 100).
    func testGraphicsFrames() throws {
        guard ProcessInfo.processInfo.environment["IGCAM_VIEWER_BENCH"] == "1" else { throw XCTSkip("set IGCAM_VIEWER_BENCH=1") }
        let root = TmuxE2ETests.root
        let binary = ProcessInfo.processInfo.environment["IGCAM_BENCH_BINARY"] ?? root + "/.build/release/igcam", cat = root + "/assets/photos/cat.png"
        guard TmuxSession.tmuxPath != nil, FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("needs tmux and \(binary)") }
        let log = NSTemporaryDirectory() + "igcam-timing-\(UUID().uuidString)"
        let s = try TmuxSession(command: "cd '\(root)' && env IGCAM_VIEWER_TIMING=\(log) COLORTERM=truecolor '\(binary)' view --graphics sixel '\(cat)' 2>{STDERR}", width: 120, height: 40)
        defer { s.kill(); try? FileManager.default.removeItem(atPath: log) }
        s.wait(240, "the first map and its ladder") { $0.contains("last ") && $0.contains("6/6") }
        usleep(1_000_000)
        func lines() -> [[String]] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map { $0.split(separator: " ").map(String.init) } }
        var marks = [(String, Int)]()
        marks.append(("o keys", lines().count))
        for _ in 0..<8 {
            let before = panelValue(s.text(), "opacity")
            s.keys("o")
            s.wait(10, "o redraw") { panelValue($0, "opacity") != before }
            usleep(1_200_000)
        }
        s.keys("x")
        s.wait(10, "probe") { $0.contains("probe ") }
        usleep(500_000)
        marks.append(("probe moves", lines().count))
        for i in 0..<16 {
            let before = panelValue(s.text(), "probe ")
            s.keys(i % 2 == 0 ? "Right" : "Left")
            s.wait(10, "probe move") { panelValue($0, "probe ") != before }
            usleep(150_000)
        }
        s.keys("x")
        usleep(500_000)
        marks.append(("m=100 partial maps", lines().count))
        s.keys("+")
        s.wait(240, "m = 100") { $0.contains("last ") && $0.contains("steps m  100") }
        usleep(1_500_000)
        s.keys("q")
        _ = s.waitExit(20)
        let all = lines()
        for (i, m) in marks.enumerated() {
            let end = i + 1 < marks.count ? marks[i + 1].1 : all.count
            let rows = all[min(m.1, all.count)..<min(end, all.count)].filter { $0.count == 4 }
            for kind in ["key", "event"] {
                let v = rows.filter { ($0[1] == "event") == (kind == "event") }.compactMap { Double($0[3]) }.sorted()
                guard !v.isEmpty else { continue }
                print(String(format: "BENCH sixel 120x40 %@, %d %@ frames: UI-thread show median %.2f ms, p90 %.2f ms, max %.2f ms, total %.0f ms",
                             m.0, v.count, kind, v[v.count / 2], v[min(v.count - 1, v.count * 9 / 10)], v.last!, v.reduce(0, +)))
            }
        }
    }
}
