import Foundation
import IGImaging
import XCTest

/// The real `igcam` binary in tmux: first heatmap, colours, keys, resize,
/// save, signals, exit. Needs `swift build -c release --product igcam` first
/// (the Makefile's test target does that); skips without tmux or the binary.
/// IGCAM_E2E_ARGS adds arguments (e.g. `--model other.onnx`).
final class TmuxE2ETests: ViewerE2ETestCase {
    /// Seconds allowed for the first finished map (model load + classify + IG-CAM m=50).
    let firstMap = 240.0

    func session(_ args: [String], truecolor: Bool, width: Int = 120, height: Int = 40, env more: String = "") throws -> TmuxSession {
        let extra = ProcessInfo.processInfo.environment["IGCAM_E2E_ARGS"] ?? ""
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let env = (truecolor ? "env COLORTERM=truecolor" : "env -u COLORTERM") + (more.isEmpty ? "" : " " + more)
        // The pane's stderr goes to a file the harness shows on failure.
        let cmd = "cd '\(Self.root)' && \(env) '\(binary)' view \(extra) \(quoted) 2>{STDERR}"
        return try TmuxSession(command: cmd, width: width, height: height)
    }

    /// The image area's coloured cells (left of the panel, above the status line).
    func imageCells(_ s: TmuxSession, panelX: Int) -> [CapturedCell] {
        let rows = s.cells()
        return rows.prefix(max(0, rows.count - 2)).flatMap { r in r.prefix(panelX).filter { $0.bg != .normal } }
    }

    func rgb(_ c: SGRColor) -> (Int, Int, Int)? { if case .rgb(let r, let g, let b) = c { return (r, g, b) }; return nil }

    /// Mean absolute difference of background colours, cell by cell.
    func distance(_ a: [CapturedCell], _ b: [CapturedCell]) -> Double {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        var d = 0
        for i in 0..<n {
            guard let x = rgb(a[i].bg), let y = rgb(b[i].bg) else { continue }
            d += abs(x.0 - y.0) + abs(x.1 - y.1) + abs(x.2 - y.2)
        }
        return Double(d) / Double(3 * n)
    }

    func panelLine(_ text: String, _ prefix: String) -> String? {
        text.split(separator: "\n").map { String($0) }.first { $0.contains(prefix) }
            .map { String($0[$0.range(of: prefix)!.lowerBound...]).trimmingCharacters(in: .whitespaces) }
    }

    func testTruecolorHeatmapKeysResizeQuit() throws {
        let s = try session([cat], truecolor: true)
        defer { s.kill() }
        var t = s.wait(firstMap, "the first finished map") { $0.contains("last ") }
        XCTAssertTrue(t.contains("image    cat.png"), t)
        XCTAssertTrue(t.contains("colour: truecolor") || t.contains("IG-CAM"), t)
        let panelX = 120 - 38
        let overlay = imageCells(s, panelX: panelX)
        XCTAssertGreaterThan(overlay.count, 1000, "the photo fills the image area")
        let colours = Set(overlay.map(\.bg))
        XCTAssertGreaterThan(colours.count, 200, "varied 24-bit colours")
        XCTAssertTrue(colours.allSatisfy { rgb($0) != nil }, "24-bit colours only in the image area")
        for c in colours { if let (r, g, b) = rgb(c) { XCTAssertGreaterThanOrEqual((r << 16) | (g << 8) | b, 8) } }

        // overlay -> heatmap -> image: the overlay lies between photo and heat map.
        s.keys("v"); s.wait(10, "heatmap view") { $0.contains("view     heatmap") }
        let heat = imageCells(s, panelX: panelX)
        s.keys("v"); s.wait(10, "image view") { $0.contains("view     image") }
        let photo = imageCells(s, panelX: panelX)
        let dOverlay = distance(overlay, photo), dHeat = distance(heat, photo)
        XCTAssertGreaterThan(dOverlay, 3, "the overlay shows a heat map over the photo")
        XCTAssertGreaterThan(dHeat, dOverlay, "the heat map alone differs more from the photo than the blend")
        s.keys("v"); s.wait(10, "grid view") { $0.contains("view     grid") && $0.contains("Score-CAM") && $0.contains("LayerCAM") }
        s.keys("v"); s.wait(10, "back to overlay") { $0.contains("view     overlay") }

        // Keys drive the panel.
        s.keys("m"); t = s.wait(10, "method Grad-CAM") { $0.contains("Grad-CAM (2/8)") }
        s.keys("M", "M"); t = s.wait(10, "method Ablation-CAM") { $0.contains("Ablation-CAM (8/8)") }
        s.keys("m")
        let layer0 = panelLine(t, "layer    ") ?? ""
        s.keys("]")
        t = s.wait(10, "another layer") { (self.panelLine($0, "layer    ") ?? layer0) != layer0 }
        s.keys("[")
        t = s.wait(10, "the layer back") { self.panelLine($0, "layer    ") == layer0 }
        s.keys("+"); t = s.wait(10, "m = 100") { $0.contains("steps m  100") }
        s.keys("-", "-"); t = s.wait(10, "m = 25") { $0.contains("steps m  25") }
        s.keys("="); s.literal("12"); s.keys("Enter")
        t = s.wait(10, "m = 12") { $0.contains("steps m  12") }
        s.keys("b"); t = s.wait(10, "baseline mean") { $0.contains("baseline mean") }
        let sel0 = t.split(separator: "\n").first { $0.contains("> ") && $0.contains("%") }.map(String.init) ?? ""
        XCTAssertFalse(sel0.isEmpty, "a selected class line:\n\(t)")
        s.keys("j")
        t = s.wait(10, "the second class") { text in
            let sel = text.split(separator: "\n").first { $0.contains("> ") && $0.contains("%") }.map(String.init) ?? ""
            return !sel.isEmpty && sel != sel0
        }
        s.keys("/"); s.literal("7"); s.keys("Enter")
        t = s.wait(10, "class 7 by index") { $0.contains("class    7 ") }
        s.keys("?"); s.wait(10, "help") { $0.contains("igcam viewer: keys") }
        s.keys("x"); s.wait(10, "help closed") { $0.contains("method   ") }

        // Resize: layout follows at once; too small shows a message and recovers.
        s.resize(90, 30)
        t = s.wait(10, "90x30 layout") { text in
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            // The panel moves in from the right; the narrow hint line replaces the long one.
            // (Where "igcam" starts, not the line's length: how many trailing blanks tmux keeps
            // depends on whether ncurses cleared the row's end with a clear-to-end sequence.)
            return lines.count >= 30 && lines[0].range(of: "igcam").map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) } == 90 - 32 + 1
                && lines.contains { $0.hasPrefix("jk class") }
        }
        s.resize(40, 10)
        s.wait(10, "too-small message") { $0.contains("too small") }
        s.resize(120, 40)
        s.wait(10, "full layout again") { $0.contains("method   ") && !$0.contains("too small") }

        XCTAssertEqual(s.quit(), 0, "q exits with status 0")
        XCTAssertEqual(s.display("#{alternate_on}"), "0", "the alternate screen was left")
    }

    func test256ColourMode() throws {
        let s = try session([cat], truecolor: false)
        defer { s.kill() }
        let t = s.wait(firstMap, "the first finished map") { $0.contains("last ") }
        XCTAssertTrue(t.contains("colour: 256") || t.contains("IG-CAM"), t)
        let cells = imageCells(s, panelX: 120 - 38)
        XCTAssertGreaterThan(cells.count, 1000)
        var seen = Set<Int>()
        for c in cells {
            guard case .index(let i) = c.bg else { return XCTFail("256-colour cells only, got \(c.bg)") }
            XCTAssertGreaterThanOrEqual(i, 16, "the fixed 240 colours only")
            seen.insert(i)
        }
        XCTAssertGreaterThan(seen.count, 30, "varied palette colours")
        XCTAssertEqual(s.quit(), 0, "q exits with status 0")
        XCTAssertEqual(s.display("#{alternate_on}"), "0")
    }

    /// TERM=xterm-256color inside the pane: ncurses may redefine colours
    /// (tmux keeps a per-pane palette from OSC 4), so the viewer loads a
    /// palette fitted to the picture and restores the colours at exit.
    func testFittedPaletteWhereColoursCanChange() throws {
        let out = NSTemporaryDirectory() + "igcam-pipe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let s = try session([cat], truecolor: false, env: "TERM=xterm-256color")
        defer { s.kill() }
        _ = s.tmux(["pipe-pane", "-t", "S", "-o", "cat >> '\(out)'"])
        _ = s.wait(firstMap, "the first finished map") { $0.contains("last ") }
        func sent() -> String { String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data(), as: UTF8.self) }
        let deadline = Date().addingTimeInterval(30)
        while !sent().contains("\u{1b}]4;255;rgb:") && Date() < deadline { usleep(100_000) }
        let loaded = sent()
        XCTAssertTrue(loaded.contains("\u{1b}]4;16;rgb:") && loaded.contains("\u{1b}]4;255;rgb:"), "colours 16...255 redefined (OSC 4)")
        usleep(300_000)
        let cells = imageCells(s, panelX: 120 - 38)
        XCTAssertGreaterThan(cells.count, 1000)
        var seen = Set<Int>()
        for c in cells {
            guard case .index(let i) = c.bg else { return XCTFail("palette cells only, got \(c.bg)") }
            XCTAssertGreaterThanOrEqual(i, 16)
            seen.insert(i)
        }
        XCTAssertGreaterThan(seen.count, 30, "varied palette colours")
        XCTAssertEqual(s.quit(), 0, "q exits with status 0")
        let all = sent()
        let lastLoad = all.range(of: "\u{1b}]4;", options: .backwards)
        let reset = all.range(of: "\u{1b}]104", options: .backwards)
        XCTAssertNotNil(reset, "the palette is reset at exit (OSC 104)")
        if let l = lastLoad, let r = reset { XCTAssertTrue(r.lowerBound > l.lowerBound, "the reset comes after the last redefinition") }
    }

    func testSaveAndSkipUnreadable() throws {
        let dir = NSTemporaryDirectory() + "igcam-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("this is not an image".utf8).write(to: URL(fileURLWithPath: dir + "/a-broken.png"))
        try FileManager.default.copyItem(atPath: cat, toPath: dir + "/b-cat.png")
        let s = try session([dir], truecolor: true)
        defer { s.kill() }
        s.wait(firstMap, "the first finished map of the readable image") { $0.contains("last ") && $0.contains("b-cat.png (1/1)") }
        s.keys("s")
        var t = s.wait(20, "saved") { $0.contains("saved ") }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("b-cat-integrated-grad-cam-") }
        XCTAssertEqual(files.count, 1, "\(files)\n\(t)")
        let saved = try loadImage(path: dir + "/" + (files.first ?? "missing"))
        let orig = try loadImage(path: cat)
        XCTAssertEqual(saved.width, orig.width)
        XCTAssertNotEqual(saved.pixels, orig.pixels, "the saved picture has the heat map")
        s.keys("s")
        t = s.wait(20, "saved again") { $0.contains("-1.png") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("b-cat-integrated") }.count, 2,
                       "never overwrites")
        XCTAssertEqual(s.quit(), 0, "q exits with status 0")
    }

    func testSignalsRestoreTerminal() throws {
        for (how, want) in [("C-c", 130), ("TERM", 143)] {
            let s = try session([cat], truecolor: true)
            defer { s.kill() }
            s.wait(firstMap, "the panel") { $0.contains("method   ") }
            if how == "C-c" {
                s.keys("C-c")
            } else {
                let pid = s.programPID() ?? 0
                XCTAssertGreaterThan(pid, 0, "the viewer's pid")
                Foundation.kill(pid, SIGTERM)
            }
            XCTAssertEqual(s.waitExit(60), want, how)
            XCTAssertEqual(s.display("#{alternate_on}"), "0", "\(how): the alternate screen was left")
        }
    }
}
