import Foundation
import IGImaging
@testable import IGViewer
import XCTest

final class GraphicsTests: XCTestCase {
    func testChoiceAndDetection() {
        XCTAssertNil(chooseGraphics(.off, environment: [:], ask: { _ in XCTFail("no query"); return "" }).0)
        XCTAssertEqual(chooseGraphics(.sixel, environment: [:], ask: { _ in XCTFail("no query"); return "" }).0, .sixel)
        XCTAssertEqual(chooseGraphics(.kitty, environment: [:], ask: { _ in "" }).0, .kitty)
        // auto: what the terminal answers decides.
        var asked = ""
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { q in asked = q; return "\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;22c" }).0, .kitty)
        XCTAssertTrue(asked.contains("a=q") && asked.hasSuffix("\u{1B}[c"), "kitty's query, then DA1")
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?63;1;2;4;6;9;15;22c" }).0, .sixel, "xterm -ti vt340 style")
        XCTAssertEqual(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?4;6c" }).0, .sixel)
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?1;2c" }).0, "tmux without sixel")
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "\u{1B}[?62;14;22c" }).0, "14 is not 4")
        XCTAssertNil(chooseGraphics(.auto, environment: [:], ask: { _ in "" }).0)
        // iTerm2: by its environment (LC_TERMINAL also over ssh), without a query.
        XCTAssertEqual(chooseGraphics(.auto, environment: ["TERM_PROGRAM": "iTerm.app"], ask: { _ in XCTFail("no query"); return "" }).0, .iterm)
        XCTAssertEqual(chooseGraphics(.auto, environment: ["LC_TERMINAL": "iTerm2"], ask: { _ in XCTFail("no query"); return "" }).0, .iterm)
        XCTAssertEqual(chooseGraphics(.iterm, environment: [:], ask: { _ in XCTFail("no query"); return "" }).0, .iterm)
        XCTAssertEqual(GraphicsChoice(rawValue: "auto"), .auto)
        XCTAssertEqual(GraphicsChoice(rawValue: "iterm"), .iterm)
        XCTAssertNil(GraphicsChoice(rawValue: "iterm2"))
    }

    func testKittyChunksCarryThePixels() throws {
        var img = RGBImage(width: 50, height: 40)
        for y in 0..<40 { for x in 0..<50 { img.setPixel(x: x, y: y, (UInt8(x * 5), UInt8(y * 6), UInt8((x + y) % 256))) } }
        let s = String(decoding: kittyTransmit(img, id: 1), as: UTF8.self)
        let chunks = s.components(separatedBy: "\u{1B}_G").dropFirst()
        XCTAssertGreaterThan(chunks.count, 1, "6000 bytes are more than one 4096-byte base64 chunk")
        var b64 = ""
        for (i, c) in chunks.enumerated() {
            XCTAssertTrue(c.hasSuffix("\u{1B}\\"))
            let body = c.dropLast(2)
            let parts = body.split(separator: ";", maxSplits: 1)
            let keys = parts[0]
            if i == 0 { XCTAssertTrue(keys.hasPrefix("a=t,f=24,s=50,v=40,i=1"), String(keys)) }
            XCTAssertTrue(keys.hasSuffix(i == chunks.count - 1 ? "m=0" : "m=1"), String(keys))
            XCTAssertLessThanOrEqual(parts[1].count, 4096)
            b64 += parts[1]
        }
        XCTAssertEqual(Data(base64Encoded: b64).map { [UInt8]($0) }, img.pixels)
    }

    func testPlacementOnlyInSingleViews() throws {
        var s = try loadedState()
        let p = try XCTUnwrap(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        XCTAssertEqual(p.pixelWidth, p.columns * 10)
        XCTAssertEqual(p.pixelHeight, p.rows * 20)
        let lay = Layout(width: 120, height: 40)
        XCTAssertGreaterThanOrEqual(p.x, lay.image.x)
        XCTAssertLessThanOrEqual(p.x + p.columns, lay.image.x + lay.image.width)
        s.view = .grid
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.view = .overlay; s.compare = .method(.gradCAM)
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.compare = nil; s.input = .help
        XCTAssertNil(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        s.input = .normal
        XCTAssertNil(GraphicsOutput.placement(s, width: 30, height: 10, cell: (10, 20)), "too small")
        // A display key changes the picture's key.
        let o = reduce(s, .char("o")).0
        XCTAssertNotEqual(GraphicsOutput.placement(o, width: 120, height: 40, cell: (10, 20))?.key, p.key)
    }

    /// A 4 x 4 map with its peak at (0, 0).
    let hot = MapResult(map: [9, 3, 1, 0, 3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0.5], width: 4, height: 4, done: 1, total: 1, seconds: 0.4)

    /// The sixel images (DCS ... ST) in `bytes`, each with the cell the cursor was moved to before it.
    func sixels(_ bytes: [UInt8]) -> [(x: Int, y: Int, width: Int, height: Int, size: Int)] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = [(x: Int, y: Int, width: Int, height: Int, size: Int)]()
        var rest = text[...]
        while let r = rest.range(of: "\u{1B}P0;1;0q") {
            let before = rest[..<r.lowerBound]
            let cup = before.range(of: "\u{1B}[", options: .backwards).map { before[$0.upperBound...].dropLast() } ?? ""
            let rc = cup.split(separator: ";").compactMap { Int($0) }
            let end = rest[r.upperBound...].range(of: "\u{1B}\\")?.upperBound ?? rest.endIndex
            let raster = rest[r.upperBound..<end].dropFirst().split(separator: "#").first?.split(separator: ";").compactMap { Int($0) } ?? []
            out.append((rc.count == 2 ? rc[1] - 1 : -1, rc.count == 2 ? rc[0] - 1 : -1, raster.count == 4 ? raster[2] : 0,
                        raster.count == 4 ? raster[3] : 0, text.utf8.distance(from: r.lowerBound, to: end)))
            rest = rest[end...]
        }
        return out
    }

    /// Polls until the background encoder delivers a picture (or 20 s pass).
    func waitArrived(_ g: GraphicsOutput) -> Bool {
        let end = Date().addingTimeInterval(20)
        while Date() < end { if g.takeArrived() { return true }; usleep(2_000) }
        return false
    }

    func testPictureEncodedInTheBackgroundThenMarkerPatches() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = hot
        let g = GraphicsOutput(.sixel)
        var out = [UInt8]()
        g.sink = { out += $0 }
        let cell = (10, 20)
        let place = try XCTUnwrap(GraphicsOutput.placement(s, width: 120, height: 40, cell: cell))
        // The first frame: the picture is being encoded elsewhere; nothing is written (blocks show).
        XCTAssertFalse(g.prepare(s, place), "nothing shown yet: no repaint")
        XCTAssertNil(g.watchRect)
        g.finish(s, repainted: false, written: [])
        XCTAssertTrue(out.isEmpty, "prepare/finish never wait for the encoder")
        XCTAssertTrue(waitArrived(g), "the picture arrives from the background queue")
        XCTAssertFalse(g.prepare(s, place))
        XCTAssertEqual(g.watchRect, place.rect)
        g.finish(s, repainted: false, written: [])
        var imgs = sixels(out)
        XCTAssertEqual(imgs.count, 1)
        XCTAssertEqual(imgs.first?.x, place.x); XCTAssertEqual(imgs.first?.y, place.y)
        XCTAssertEqual(imgs.first?.width, place.pixelWidth); XCTAssertEqual(imgs.first?.height, place.pixelHeight)
        let full = imgs[0].size
        // Nothing changed: nothing is written again.
        out = []
        _ = g.prepare(s, place); g.finish(s, repainted: false, written: [])
        XCTAssertTrue(out.isEmpty)

        // The probe: one small patch of 3 x 3 cells (the marker's cell in the middle), not the picture.
        s.probe = ProbeCursor(row: 2, column: 1)
        let m = try XCTUnwrap(GraphicsOutput.marker(s, place))
        let pc = try XCTUnwrap(probeCell(s, s.probe!, imageWidth: s.image!.width, imageHeight: s.image!.height, columns: place.columns, rows: place.rows))
        XCTAssertEqual(m.cells, Rect(x: pc.x - 1, y: pc.y - 1, width: 3, height: 3))
        out = []
        _ = g.prepare(s, place)
        g.finish(s, repainted: false, written: [(place.x + pc.x, place.y + pc.y)])   // ncurses' "+" cell
        imgs = sixels(out)
        XCTAssertEqual(imgs.count, 1, "only the marker's patch")
        XCTAssertEqual(imgs.first?.x, place.x + pc.x - 1); XCTAssertEqual(imgs.first?.y, place.y + pc.y - 1)
        XCTAssertEqual(imgs.first?.width, 30); XCTAssertEqual(imgs.first?.height, 60)
        XCTAssertLessThan(imgs[0].size * 10, full)
        // A move: the old patch clean, then the new one marked.
        let old = m
        s.probe = ProbeCursor(row: 2, column: 3)
        let m2 = try XCTUnwrap(GraphicsOutput.marker(s, place))
        out = []
        _ = g.prepare(s, place)
        g.finish(s, repainted: false, written: [])
        imgs = sixels(out)
        XCTAssertEqual(imgs.map { $0.x }, [place.x + old.cells.x, place.x + m2.cells.x])
        // ncurses wrote a cell under the picture outside the patches: the whole picture again.
        out = []
        _ = g.prepare(s, place)
        g.finish(s, repainted: false, written: [(place.x, place.y)])
        imgs = sixels(out)
        XCTAssertEqual(imgs.count, 2, "picture, then the marker over it")
        XCTAssertEqual(imgs.first?.size, full)
        // No picture any more (grid view): the screen must be repainted to erase it.
        var grid = s
        grid.view = .grid
        XCTAssertTrue(g.prepare(grid, GraphicsOutput.placement(grid, width: 120, height: 40, cell: cell)))
        g.finish(grid, repainted: true, written: [])
        XCTAssertNil(g.shownKey)
    }

    func testStalePicturesAreNotShown() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = hot
        let g = GraphicsOutput(.sixel)
        var out = [UInt8]()
        g.sink = { out += $0 }
        let a = try XCTUnwrap(GraphicsOutput.placement(s, width: 120, height: 40, cell: (10, 20)))
        let b = try XCTUnwrap(GraphicsOutput.placement(s, width: 100, height: 30, cell: (10, 20)))
        XCTAssertNotEqual(a.frame, b.frame)
        // Asked for a, then at once for b (another size): only b may be shown.
        _ = g.prepare(s, a)
        _ = g.prepare(s, b)
        XCTAssertTrue(waitArrived(g))
        // Let a late first picture (if it was being encoded) finish too.
        usleep(300_000)
        _ = g.takeArrived()
        _ = g.prepare(s, b)
        g.finish(s, repainted: false, written: [])
        XCTAssertEqual(g.shownKey, b.key)
        XCTAssertEqual(sixels(out).map { $0.width }, [b.pixelWidth])
        XCTAssertLessThanOrEqual(g.encodes, 2)
        XCTAssertEqual(g.encodes - g.dropped, 1, "a picture for a frame no longer wanted is dropped")
    }

    func testCrossHairPixels() {
        var img = RGBImage(width: 40, height: 30, fill: (200, 40, 40))
        drawCrossHair(&img, x: 20, y: 15, arm: 9)
        for d in [3, 5, 9, -3, -9] {
            XCTAssertTrue(img.pixel(x: 20 + d, y: 15) == (0, 0, 0), "black horizontal arm at \(d)")
            XCTAssertTrue(img.pixel(x: 20, y: 15 + d) == (0, 0, 0), "black vertical arm at \(d)")
            XCTAssertTrue(img.pixel(x: 20 + d, y: 14) == (255, 255, 255), "white border")
            XCTAssertTrue(img.pixel(x: 21, y: 15 + d) == (255, 255, 255), "white border")
        }
        XCTAssertTrue(img.pixel(x: 20, y: 15) == (200, 40, 40), "the centre keeps the map's colour")
        XCTAssertTrue(img.pixel(x: 20 + 10, y: 15) == (200, 40, 40), "arms end at 9")
        XCTAssertTrue(img.pixel(x: 5, y: 5) == (200, 40, 40))
    }

    func testITermInlineCarriesThePNG() throws {
        var img = RGBImage(width: 30, height: 20)
        for y in 0..<20 { for x in 0..<30 { img.setPixel(x: x, y: y, (UInt8(x * 8), UInt8(y * 12), 77)) } }
        let s = String(decoding: itermInline(img, columns: 3, rows: 2), as: UTF8.self)
        XCTAssertTrue(s.hasPrefix("\u{1B}]1337;File=inline=1;"), s)
        XCTAssertTrue(s.hasSuffix("\u{07}"))
        let head = try XCTUnwrap(s.split(separator: ":", maxSplits: 1).first)
        XCTAssertTrue(head.contains("width=3;height=2;preserveAspectRatio=0"), String(head))
        let b64 = String(s.split(separator: ":", maxSplits: 1)[1].dropLast())
        let png = try XCTUnwrap(Data(base64Encoded: b64))
        XCTAssertTrue(head.contains("size=\(png.count)"))
        let path = NSTemporaryDirectory() + "igcam-iterm-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try png.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try loadImage(path: path).pixels, img.pixels, "the PNG decodes to the pixels")
    }
}
