import IGExplain
import IGImaging
import IGRender
import IGViewer
import XCTest

final class DrawTests: XCTestCase {
    /// A map with a clear hot spot at the top left.
    let hot = MapResult(map: [9, 3, 1, 0, 3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], width: 4, height: 4, done: 1, total: 1, seconds: 0.42)

    func withMap(_ s: ViewerState) throws -> ViewerState {
        var t = s
        t.results[try XCTUnwrap(s.currentKey)] = hot
        return t
    }

    func imageCells(_ scr: Screen, _ lay: Layout) -> [ScreenCell] {
        var out = [ScreenCell]()
        for y in lay.image.y..<(lay.image.y + lay.image.height) {
            for x in lay.image.x..<(lay.image.x + lay.image.width) where scr[x, y].bg != .normal { out.append(scr[x, y]) }
        }
        return out
    }

    func testLayoutSplitsImagePanelStatusHint() {
        let l = Layout(width: 120, height: 40)
        XCTAssertTrue(l.fits)
        XCTAssertEqual(l.panel.x + l.panel.width, 120)
        XCTAssertLessThan(l.image.x + l.image.width, l.panel.x)
        XCTAssertEqual(l.hintRow, 39)
        XCTAssertEqual(l.statusRow, 38)
        XCTAssertFalse(Layout(width: 30, height: 40).fits)
        XCTAssertFalse(Layout(width: 120, height: 8).fits)
    }

    func testPanelShowsStateAndImageHasPhotoAndHeat() throws {
        let s = try withMap(try loadedState())
        let scr = draw(s, width: 120, height: 40, composer: Composer(mode: .truecolor))
        let text = scr.text
        for want in ["model    tiny", "image    a.png (1/2)", "top-3", "IG-CAM (1/8)", "layer    c2 (2/2)", "shape    8x8x8",
                     "steps m  50", "baseline black", "reading  figure", "last     0.42 s", "class    3 dog"] {
            XCTAssertTrue(text.contains(want), "panel lacks '\(want)':\n\(text)")
        }
        let sel = text.split(separator: "\n").filter { $0.contains(">") && $0.contains("dog") }
        XCTAssertEqual(sel.count, 1, "the selected class is marked")
        XCTAssertTrue(scr.line(39).hasPrefix("↑↓/jk class"))
        let lay = Layout(width: 120, height: 40)
        let cells = imageCells(scr, lay)
        XCTAssertGreaterThan(cells.count, 500, "the image fills much of its area")
        let colours = Set(cells.flatMap { [$0.fg, $0.bg] })
        XCTAssertGreaterThan(colours.count, 100, "varied colours, not a flat fill")
        for c in colours { if case .rgb(let v) = c { XCTAssertGreaterThanOrEqual(v.packed, 8) } else { XCTFail("truecolor cells only") } }
    }

    func testViewsDiffer() throws {
        let s = try withMap(try loadedState())
        let comp = Composer(mode: .truecolor)
        let lay = Layout(width: 120, height: 40)
        func cells(_ v: ViewMode) -> [ScreenCell] { var t = s; t.view = v; return imageCells(draw(t, width: 120, height: 40, composer: comp), lay) }
        let overlay = cells(.overlay), heat = cells(.heatmap), image = cells(.image)
        XCTAssertEqual(overlay.count, image.count)
        XCTAssertNotEqual(overlay, image, "the overlay shows the map")
        XCTAssertNotEqual(heat, overlay)
        // With no map at all the overlay view is the plain photo.
        var bare = s; bare.results = [:]
        XCTAssertEqual(imageCells(draw(bare, width: 120, height: 40, composer: comp), lay), image)
        // The hot spot is at the top left: there, the heat map is red-ish (jet's top end), at the bottom right blue-ish.
        var t = s; t.view = .heatmap
        let scr = draw(t, width: 120, height: 40, composer: comp)
        let hotCells = imageCells(scr, lay)
        guard case .rgb(let first)? = hotCells.first?.bg, case .rgb(let last)? = hotCells.last?.bg else { return XCTFail() }
        XCTAssertGreaterThan(Int(first.r), Int(first.b), "hot corner \(first)")
        XCTAssertGreaterThan(Int(last.b), Int(last.r), "cold corner \(last)")
    }

    func testGridViewShowsEveryMethod() throws {
        var s = try withMap(try loadedState())
        s.view = .grid
        let text = draw(s, width: 160, height: 50, composer: Composer(mode: .truecolor)).text
        for m in Method.allCases { XCTAssertTrue(text.contains(m.shortName), "grid lacks \(m.shortName)") }
    }

    func testProgressBarWhileRunning() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = MapResult(map: hot.map, width: 4, height: 4, done: 3, total: 12, seconds: nil)
        let text = draw(s, width: 120, height: 40, composer: Composer(mode: .truecolor)).text
        XCTAssertTrue(text.contains("running 3/12"), text)
        XCTAssertEqual(progressBar(done: 3, total: 12, width: 10), "[██░░░░░░]")
        XCTAssertEqual(progressBar(done: 12, total: 12, width: 6), "[████]")
    }

    func testTooSmallThenRecovers() throws {
        let s = try withMap(try loadedState())
        let comp = Composer(mode: .truecolor)
        let small = draw(s, width: 30, height: 8, composer: comp)
        XCTAssertTrue(small.text.contains("too small"))
        XCTAssertEqual(small.width, 30)
        let big = draw(s, width: 100, height: 30, composer: comp)
        XCTAssertTrue(big.text.contains("IG-CAM"))
        XCTAssertEqual(big.width, 100)
    }

    func testHelpListsEveryKey() throws {
        var s = try loadedState()
        s.input = .help
        let text = draw(s, width: 120, height: 40, composer: Composer(mode: .truecolor)).text
        for k in keyHelp { XCTAssertTrue(text.contains(k.keys) && text.contains(k.what), k.keys) }
        for k in ["m / M", "] / [", "+ / -", "/", "=", "b", "o", "v", "c", "n / p", "s", "q"] {
            XCTAssertTrue(keyHelp.contains { $0.keys.hasPrefix(k) }, k)
        }
    }

    func testPaletteModesUseIndices() throws {
        let s = try withMap(try loadedState())
        for (mode, range) in [(ColorMode.c256, 16...255), (.c16, 0...15), (.c8, 0...7)] {
            let scr = draw(s, width: 120, height: 40, composer: Composer(mode: mode))
            let cells = imageCells(scr, Layout(width: 120, height: 40))
            XCTAssertGreaterThan(cells.count, 500)
            var seen = Set<Int>()
            for c in cells {
                for col in [c.fg, c.bg] {
                    guard case .index(let i) = col else { return XCTFail("\(mode): palette indices only") }
                    XCTAssertTrue(range.contains(i), "\(mode): \(i)")
                    seen.insert(i)
                }
            }
            XCTAssertGreaterThan(seen.count, mode == .c256 ? 20 : 2, "\(mode) uses several colours")
        }
    }

    func testComposerCachesAndDisplayKeyRendersOnce() throws {
        let s = try withMap(try loadedState())
        let comp = Composer(mode: .truecolor)
        _ = draw(s, width: 120, height: 40, composer: comp)
        let r0 = comp.renders
        XCTAssertEqual(r0, 1)
        _ = draw(s, width: 120, height: 40, composer: comp)
        XCTAssertEqual(comp.renders, r0, "the same state renders nothing new")
        let (o, _) = reduce(s, .char("o"))
        _ = draw(o, width: 120, height: 40, composer: comp)
        XCTAssertEqual(comp.renders, r0 + 1)
    }

    func testSavePathNeverOverwrites() throws {
        let p = try writeTestPNG(name: "cat.png")
        let first = savePath(imagePath: p, method: .gradCAM, classIndex: 281, view: .overlay)
        XCTAssertTrue(first.hasSuffix("/cat-grad-cam-281.png"))
        try savePNG(testImage(), to: first)
        let second = savePath(imagePath: p, method: .gradCAM, classIndex: 281, view: .overlay)
        XCTAssertTrue(second.hasSuffix("/cat-grad-cam-281-1.png"), second)
    }

    func testExpandPathsListsFolderImages() throws {
        let p = try writeTestPNG(name: "b.png")
        let dir = (p as NSString).deletingLastPathComponent
        _ = try writeTestPNG(name: "a.JPG", dir: dir)
        try "x".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let files = try expandImagePaths([dir])
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent }, ["a.JPG", "b.png"])
        XCTAssertThrowsError(try expandImagePaths([dir + "/missing.png"]))
    }
}
