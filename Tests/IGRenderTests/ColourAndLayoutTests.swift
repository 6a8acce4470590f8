import XCTest
import IGImaging
@testable import IGRender

final class ColourAndLayoutTests: XCTestCase {
    func testTruecolorNeverEmitsPackedValueBelow8() throws {
        // Black, near-black blues and a dark random texture.
        var rng = Rng(s: 99)
        var img = RGBImage(width: 64, height: 64)
        for y in 0..<64 { for x in 0..<64 {
            let p: (UInt8, UInt8, UInt8) = x < 16 ? (0, 0, 0) : x < 32 ? (0, 0, UInt8(y % 8)) : (rng.byte() % 3, rng.byte() % 3, rng.byte() % 12)
            img.setPixel(x: x, y: y, p)
        }}
        for set in GlyphSet.allCases {
            let g = render(img, columns: 16, rows: 8, glyphs: set, mode: .truecolor)
            XCTAssertEqual(g.cells.count, 128)
            for c in g.cells {
                XCTAssertGreaterThanOrEqual(c.fg.packed, 8, "\(c)"); XCTAssertGreaterThanOrEqual(c.bg.packed, 8, "\(c)")
            }
            // The serializer also never sends 2;0;0;N with N < 8.
            let s = ansiString(g, mode: .truecolor)
            XCTAssertNil(s.range(of: #"[34]8;2;0;0;[0-7]m"#, options: .regularExpression))
            XCTAssertNil(s.range(of: #"[34]8;2;0;0;[0-7];"#, options: .regularExpression))
        }
        // Black maps to the nearest allowed colour.
        XCTAssertEqual(RGB(0, 0, 0).directSafe, RGB(0, 1, 0))
        XCTAssertEqual(RGB(0, 0, 7).directSafe, RGB(0, 1, 7))
        XCTAssertEqual(RGB(0, 0, 8).directSafe, RGB(0, 0, 8))
        XCTAssertEqual(RGB(1, 0, 0).directSafe, RGB(1, 0, 0))
        // A serialized grid built by hand with black is fixed too.
        let black = CellGrid(width: 1, height: 1, cells: [Cell(glyph: "x", fg: RGB(0, 0, 0), bg: RGB(0, 0, 3))])
        XCTAssertEqual(ansiString(black, mode: .truecolor), "\u{1B}[38;2;0;1;0;48;2;0;1;3mx\u{1B}[0m\n")
    }

    func testDeterministic() throws {
        let cat = try Fixtures.load("cat_150x100.rgb")
        for mode in ColorMode.allCases {
            let a = render(cat, columns: 40, rows: 13, glyphs: .blocks, mode: mode)
            let b = render(cat, columns: 40, rows: 13, glyphs: .blocks, mode: mode)
            XCTAssertEqual(a, b, mode.rawValue)
        }
        let p1 = try Palette.kMeans(cat, count: 64), p2 = try Palette.kMeans(cat, count: 64)
        XCTAssertEqual(p1, p2)
    }

    func testPaletteModesUseOnlyTheirColours() throws {
        let cat = try Fixtures.load("overlay_150x100.rgb")
        for (mode, range) in [(ColorMode.c256, 16...255), (.c16, 0...15), (.c8, 0...7)] {
            let g = render(cat, columns: 30, rows: 10, glyphs: .blocks, mode: mode)
            for c in g.cells {
                XCTAssert(range.contains(Int(c.fgIndex)) && range.contains(Int(c.bgIndex)), "\(mode) \(c)")
                XCTAssertEqual(c.fg, Palette.xtermColor(Int(c.fgIndex))); XCTAssertEqual(c.bg, Palette.xtermColor(Int(c.bgIndex)))
            }
            XCTAssertGreaterThan(Set(g.cells.map(\.bgIndex)).count, 3, "\(mode) uses several colours")
        }
    }

    func testANSIRoundTrip() throws {
        let img = try Fixtures.load("overlay_150x100.rgb")
        for mode in ColorMode.allCases {
            let g = render(img, columns: 30, rows: 10, glyphs: .blocks, mode: mode)
            let text = ansiString(g, mode: mode)
            let back = try parseANSI(text)
            XCTAssertEqual(back.width, 30); XCTAssertEqual(back.height, 10)
            for i in g.cells.indices {
                XCTAssertEqual(back.cells[i].glyph, g.cells[i].glyph)
                XCTAssertEqual(back.cells[i].bg, g.cells[i].bg, "\(mode) cell \(i)")
                if g.cells[i].glyph != " " { XCTAssertEqual(back.cells[i].fg, g.cells[i].fg, "\(mode) cell \(i)") }
            }
            switch mode {
            case .truecolor: XCTAssertTrue(text.contains("38;2;"))
            case .c256: XCTAssertTrue(text.contains("48;5;")); XCTAssertFalse(text.contains(";2;"))
            case .c16, .c8: XCTAssertFalse(text.contains(";5;")); XCTAssertFalse(text.contains(";2;"))
            }
        }
        // A truecolor grid written in 256 colours is re-quantised to the fixed 240.
        let tc = render(img, columns: 30, rows: 10, glyphs: .blocks, mode: .truecolor)
        let q = try parseANSI(ansiString(tc, mode: .c256))
        let fixed = Set(Palette.xterm240.colors)
        XCTAssert(q.cells.allSatisfy { fixed.contains($0.bg) && fixed.contains($0.fg) })
        XCTAssertEqual(q.cells[17].bg, Palette.xterm240.colors[Palette.xterm240.nearest(Double(tc.cells[17].bg.r), Double(tc.cells[17].bg.g), Double(tc.cells[17].bg.b))])
        // Reverse video and colon forms as chafa / tmux write them.
        let g = try parseANSI("\u{1B}[7m\u{1B}[38;5;160m \u{1B}[0m\u{1B}[38:2::1:2:3;48:5:21mA\n")
        XCTAssertEqual(g.cells[0].bg, RGB(215, 0, 0))
        XCTAssertEqual(g.cells[1], Cell(glyph: "A", fg: RGB(1, 2, 3), bg: RGB(0, 0, 255)))
        XCTAssertThrowsError(try parseANSI("ab\u{1B}[38;5"))
    }

    func testFitGridKeepsAspect() {
        // 451x300 with 1:2 cells: columns/rows = 451*2/300 = 3.007.
        let a = fitGrid(imageWidth: 451, imageHeight: 300, maxColumns: 200, maxRows: 60)
        XCTAssertEqual(a.columns, 180); XCTAssertEqual(a.rows, 60)
        let b = fitGrid(imageWidth: 451, imageHeight: 300, maxColumns: 80, maxRows: 60)
        XCTAssertEqual(b.columns, 80); XCTAssertEqual(b.rows, 27)
        let c = fitGrid(imageWidth: 100, imageHeight: 100, maxColumns: 80, maxRows: 24, cellAspect: 1)
        XCTAssertEqual(c.columns, 24); XCTAssertEqual(c.rows, 24)
        XCTAssertEqual(fitGrid(imageWidth: 0, imageHeight: 10, maxColumns: 80, maxRows: 24).columns, 0)
        let thin = fitGrid(imageWidth: 10000, imageHeight: 1, maxColumns: 80, maxRows: 24)
        XCTAssertEqual(thin.columns, 80); XCTAssertEqual(thin.rows, 1)
    }

    func testDegenerateInputsDoNotCrash() {
        let img = RGBImage(width: 5, height: 3, fill: (10, 200, 30))
        XCTAssertEqual(render(img, columns: 0, rows: 5, glyphs: .blocks, mode: .truecolor).cells.count, 0)
        XCTAssertEqual(render(RGBImage(width: 0, height: 0, pixels: []), columns: 3, rows: 2, glyphs: .blocks, mode: .c256).cells.count, 6)
        // Upscaling a tiny image works and keeps its colour exactly.
        let g = render(img, columns: 20, rows: 10, glyphs: .blocks, mode: .truecolor)
        XCTAssert(g.cells.allSatisfy { $0.bg == RGB(10, 200, 30) })
        XCTAssertTrue(psnr(img, RGBImage(width: 4, height: 3, fill: (1, 1, 1))).isNaN)
        XCTAssertEqual(psnr(img, img), .infinity)
        XCTAssertThrowsError(try Palette(colors: [], firstIndex: 16))
        XCTAssertThrowsError(try Palette(colors: [RGB](repeating: RGB(1, 2, 3), count: 241), firstIndex: 16))
    }

    func testCursesComponentsRoundTrip() throws {
        let all = try Palette(colors: (0..<240).map { RGB(UInt8($0), UInt8(255 - $0), UInt8(($0 * 7) % 256)) }, firstIndex: 16)
        for i in 0..<240 {
            let c = all.cursesComponents(i), rgb = all.colors[i]
            // ncurses turns 0...1000 back into 8 bits as v * 255 / 1000 (integer division).
            XCTAssertEqual(c.r * 255 / 1000, Int(rgb.r)); XCTAssertEqual(c.g * 255 / 1000, Int(rgb.g)); XCTAssertEqual(c.b * 255 / 1000, Int(rgb.b))
            XCTAssert((0...1000).contains(c.r))
        }
        XCTAssertEqual(Palette.xterm240.cursesComponents(239).r, 934)   // grey 238 -> ceil(933.33)
    }

    func testPSNRKnownValue() {
        // Every channel off by 5: MSE 25 -> 10*log10(65025/25) = 34.151 dB.
        let a = RGBImage(width: 3, height: 2, fill: (100, 50, 20)), b = RGBImage(width: 3, height: 2, fill: (105, 45, 25))
        XCTAssertEqual(psnr(a, b), 34.1514, accuracy: 1e-3)
    }
}
