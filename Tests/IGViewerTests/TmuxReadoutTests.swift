import Foundation
import IGImaging
import IGRender
import IGViewer
import XCTest

/// The real binary in tmux, reading the map: the probe's value against the
/// .npy that `igcam explain --raw` writes, the convergence sparkline over
/// m = 1, 2, 4, ..., and the difference view of a method with itself; a mouse
/// click (SGR 1006 sequence typed into the pane) moves the probe to the cell clicked.
/// One viewer session for all three (the first map is the slow part).
final class TmuxReadoutTests: ViewerE2ETestCase {
    /// Runs the CLI to completion; returns its exit status.
    func run(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// The first screen line containing `prefix`, from it on.
    func field(_ text: String, _ prefix: String) -> String? {
        for l in text.split(separator: "\n") { if let r = l.range(of: prefix) { return String(l[r.lowerBound...]) } }
        return nil
    }

    func testProbeConvergenceAndDifference() throws {
        // The raw map the CLI writes with the viewer's defaults (IG-CAM, default layer, top-1 class, m = 50, black, figure).
        let npy = NSTemporaryDirectory() + "igcam-probe-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: npy) }
        XCTAssertEqual(try run(["explain", cat, "--raw", npy]), 0)
        let raw = try readNPY(path: npy)
        XCTAssertEqual(raw.shape.count, 2)
        let (h, w) = (raw.shape[0], raw.shape[1])

        let cmd = "cd '\(root)' && env COLORTERM=truecolor '\(binary)' view '\(cat)' 2>{STDERR}"
        let s = try TmuxSession(command: cmd, width: 120, height: 44)
        defer { s.kill() }
        let first = s.wait(240, "the first finished map") { $0.contains("last ") }
        XCTAssertTrue(first.contains("mouse on"), "the status line says the mouse is captured: \(first)")

        // Probe: walk to the top-left cell, then to (2, 3) and (h-1, w-1); the value shown is the .npy's.
        s.keys("x")
        s.wait(10, "probe on") { $0.contains("probe ") }
        for _ in 0..<(h + w) { s.keys("Up", "Left") }
        for (r, c) in [(0, 0), (2, 3), (h - 1, w - 1)] {
            let now = s.text()
            let at = field(now, "probe ") ?? ""
            let cur = at.split(separator: " ")[1].split(separator: ",").compactMap { Int($0) }
            for _ in 0..<(r - cur[0]) { s.keys("Down") }
            for _ in 0..<(c - cur[1]) { s.keys("Right") }
            let t = s.wait(10, "probe at \(r),\(c)") { $0.contains("probe \(r),\(c) of \(h)x\(w)") }
            let line = try XCTUnwrap(field(t, "value "), t)
            let shown = try XCTUnwrap(Double(line.split(separator: " ")[1]), line)
            let want = Double(raw.data[r * w + c])
            XCTAssertEqual(shown, want, accuracy: max(1e-6, abs(want) * 1e-3), "probe (\(r), \(c)): \(line)")
            // The rank percentile, from the .npy: (below + equal / 2) / n.
            let below = raw.data.filter { Double($0) < want - abs(want) * 1e-6 }.count
            let pct = try XCTUnwrap(Double((line.components(separatedBy: "rank ").last ?? "").split(separator: "%").first.map(String.init) ?? ""))
            XCTAssertEqual(pct, 100 * (Double(below) + 0.5) / Double(raw.data.count), accuracy: 0.06, line)
        }
        // The range line gives the .npy's minimum and maximum.
        let rangeLine = try XCTUnwrap(field(s.text(), "0=min "))
        let parts = rangeLine.split(separator: " ")
        XCTAssertEqual(Double(parts[1]) ?? .nan, Double(raw.data.min()!), accuracy: abs(Double(raw.data.min()!)) * 1e-3 + 1e-6)
        XCTAssertEqual(Double(parts[3]) ?? .nan, Double(raw.data.max()!), accuracy: abs(Double(raw.data.max()!)) * 1e-3 + 1e-6)
        // The mouse: a click (press and release, xterm SGR 1006 as tmux passes it on) on the
        // screen cell over map cell (r, c)'s centre moves the probe there.
        let photo = try loadImage(path: cat)
        let area = Layout(width: 120, height: 44).image
        let fit = fitGrid(imageWidth: photo.width, imageHeight: photo.height, maxColumns: area.width, maxRows: area.height)
        let (ox, oy) = (area.x + (area.width - fit.columns) / 2, area.y + (area.height - fit.rows) / 2)
        let reg = inputRegion(imageWidth: photo.width, imageHeight: photo.height, resize: .crop, inputHeight: 224, inputWidth: 224)
        for (r, c) in [(4, 1), (h - 1, 0)] {
            let px = Double(reg.x) + (Double(c) + 0.5) * Double(reg.width) / Double(w)
            let py = Double(reg.y) + (Double(r) + 0.5) * Double(reg.height) / Double(h)
            let x = ox + Int(px * Double(fit.columns) / Double(photo.width)) + 1, y = oy + Int(py * Double(fit.rows) / Double(photo.height)) + 1
            s.literal("\u{1B}[<0;\(x);\(y)M\u{1B}[<0;\(x);\(y)m")
            let t = s.wait(10, "probe clicked at \(r),\(c) (cell \(x),\(y))") { $0.contains("probe \(r),\(c) of \(h)x\(w)") }
            let line = try XCTUnwrap(field(t, "value "), t)
            XCTAssertEqual(try XCTUnwrap(Double(line.split(separator: " ")[1]), line), Double(raw.data[r * w + c]),
                           accuracy: max(1e-6, abs(Double(raw.data[r * w + c])) * 1e-3), "clicked (\(r), \(c)): \(line)")
        }
        s.keys("Escape")
        s.wait(10, "probe off") { !$0.contains("value ") }
        // A click turns the probe on when it is off.
        do {
            let x = ox + fit.columns / 2 + 1, y = oy + fit.rows / 2 + 1
            s.literal("\u{1B}[<0;\(x);\(y)M\u{1B}[<0;\(x);\(y)m")
            s.wait(10, "probe on by a click") { $0.contains("probe 3,3 of") }
            s.keys("Escape")
            s.wait(10, "probe off") { !$0.contains("value ") }
        }

        // Convergence: the ladder m = 1..32 finishes in the background; the relative change shrinks.
        let t = s.wait(240, "the whole ladder") { $0.contains("6/6") && $0.contains("dM% ") }
        let changes = (field(t, "dM% ") ?? "").split(separator: " ").dropFirst().compactMap { Double($0) }
        XCTAssertEqual(changes.count, 5, t)
        XCTAssertLessThan(changes.last ?? .infinity, (changes.first ?? 0) / 2, "the change between m and m/2 shrinks as m grows: \(changes)")
        XCTAssertNotNil(field(t, "sum M/m "), "the completeness line")
        s.keys("t")
        s.wait(10, "the ladder side by side") { $0.contains("m=1 ") && $0.contains("m=32") }
        s.keys("t")

        // Difference view: IG-CAM minus IG-CAM (the partner cycles Grad-CAM, ..., Ablation-CAM, baselines, reading, IG-CAM).
        s.keys("d")
        s.wait(10, "difference view") { $0.contains("A - B") }
        for _ in 0..<12 { s.keys("D") }
        let d = s.wait(20, "IG-CAM minus itself") { $0.contains("B IG-CAM m=50 black fig") && $0.contains("A-B min 0 max 0") }
        let rows = s.cells()
        let lines = d.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let labelRow = try XCTUnwrap(lines.firstIndex { $0.contains("A - B") })
        let labelX = try XCTUnwrap(lines[labelRow].range(of: "A - B")).lowerBound.utf16Offset(in: lines[labelRow])
        // The map covers the centre crop the network sees (the photo shows left and right of
        // it): along each row of the tile the cells between the first and last white one are white.
        var white = 0, other = 0
        for y in (labelRow + 1)..<(rows.count - 2) {
            let row = rows[y]
            let xs = Array(labelX..<min(labelX + 40, row.count, 120 - 38))
            let whites = xs.filter { row[$0].bg == .rgb(255, 255, 255) }
            guard let a = whites.first, let b = whites.last else { continue }
            white += whites.count
            other += (a...b).filter { row[$0].bg != .rgb(255, 255, 255) }.count
        }
        XCTAssertGreaterThan(white, 100, "the difference tile is drawn")
        XCTAssertEqual(other, 0, "A - A is white (0) everywhere over the map")
        XCTAssertEqual(s.quit(), 0)
    }
}
