import Foundation
import XCTest

/// `igcam view --script FILE --record FILE.cast` in tmux: the script drives
/// the viewer to a known state; the recording is asciinema v2, and its
/// output replayed into a fresh pane shows the same screen.
final class TmuxPresentTests: ViewerE2ETestCase {
    func testScriptAndRecording() throws {
        let dir = NSTemporaryDirectory() + "igcam-present-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/lecture.txt", cast = dir + "/talk.cast"
        try """
            # wait for the first map and its m ladder, then look closer
            wait
            x          # the probe, on the hottest cell
            Up
            Left
            c          # turbo
            sleep 0.3
            v          # the heat map alone
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let cmd = "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view --script '\(script)' --record '\(cast)' '\(cat)' 2>{STDERR}"
        let s = try TmuxSession(command: cmd, width: 100, height: 34)
        defer { s.kill() }
        let shown = s.wait(240, "the scripted state") { $0.contains("colours  turbo") && $0.contains("view     heatmap") && $0.contains("probe ") }
        usleep(500_000)
        let before = s.text(), beforeCells = s.cells()
        XCTAssertEqual(before, s.text(), "the screen is still")
        XCTAssertTrue(shown.contains("probe "))
        XCTAssertEqual(s.quit(), 0)
        XCTAssertEqual(s.display("#{alternate_on}"), "0", "the terminal is given back")

        // asciinema v2: a header object, then [time, "o" | "r", text] events in time order.
        let text = try String(contentsOfFile: cast, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 3)
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(header["version"] as? Int, 2)
        XCTAssertEqual(header["width"] as? Int, 100)
        XCTAssertEqual(header["height"] as? Int, 34)
        var last = 0.0, output = ""
        for l in lines.dropFirst() {
            let e = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [Any], l)
            XCTAssertEqual(e.count, 3)
            let t = try XCTUnwrap(e[0] as? Double ?? (e[0] as? Int).map(Double.init))
            XCTAssertGreaterThanOrEqual(t, last)
            last = t
            let kind = try XCTUnwrap(e[1] as? String)
            XCTAssertTrue(kind == "o" || kind == "r", kind)
            if kind == "o" { output += try XCTUnwrap(e[2] as? String) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/.talk.cast.tmp"), "no temporary file left")
        // Replay everything up to the exit (leaving the alternate screen) into a fresh pane.
        let exit = try XCTUnwrap(output.range(of: "\u{1b}[?1049l", options: .backwards), "the exit sequence is recorded")
        let replay = dir + "/replay.bin"
        try Data(output[..<exit.lowerBound].utf8).write(to: URL(fileURLWithPath: replay))
        let r = try TmuxSession(command: "cat '\(replay)'; sleep 60", width: 100, height: 34)
        defer { r.kill() }
        let again = r.wait(20, "the replayed screen") { $0 == before }
        XCTAssertEqual(again, before)
        let cells = r.cells()
        XCTAssertEqual(cells, beforeCells, "same characters and colours")
        XCTAssertGreaterThan(Set(cells.flatMap { $0.map(\.bg) }).count, 50, "the replay has the picture's colours")
    }
}
