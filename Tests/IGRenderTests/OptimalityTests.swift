import XCTest
import IGImaging
@testable import IGRender

final class OptimalityTests: XCTestCase {
    /// One cell of 8x16 pixels painted by `f(x, y)`.
    func cellImage(_ f: (Int, Int) -> (UInt8, UInt8, UInt8)) -> RGBImage {
        var img = RGBImage(width: 8, height: 16)
        for y in 0..<16 { for x in 0..<8 { img.setPixel(x: x, y: y, f(x, y)) } }
        return img
    }

    func one(_ img: RGBImage, _ set: GlyphSet = .blocks, _ mode: ColorMode = .truecolor) -> Cell {
        let g = render(img, columns: 1, rows: 1, glyphs: set, mode: mode)
        XCTAssertEqual(g.width, 1); XCTAssertEqual(g.height, 1)
        return g.cells[0]
    }

    let red = RGB(200, 30, 40), blue = RGB(20, 40, 210), green = RGB(10, 180, 60), white = RGB(240, 240, 230)
    func t(_ c: RGB) -> (UInt8, UInt8, UInt8) { (c.r, c.g, c.b) }

    func testTopRedBottomBlueGivesHalfBlockWithExactColours() {
        let c = one(cellImage { _, y in y < 8 ? t(red) : t(blue) })
        if c.glyph == "\u{2584}" { XCTAssertEqual(c.fg, blue); XCTAssertEqual(c.bg, red) }
        else { XCTAssertEqual(c.glyph, "\u{2580}"); XCTAssertEqual(c.fg, red); XCTAssertEqual(c.bg, blue) }
        let h = one(cellImage { _, y in y < 8 ? t(red) : t(blue) }, .halfBlocks)
        XCTAssertEqual(h, Cell(glyph: "\u{2580}", fg: red, bg: blue))
    }

    func testLeftThreeEighthsGivesLeftThreeEighthsBlock() {
        let c = one(cellImage { x, _ in x < 3 ? t(green) : t(white) })
        XCTAssertEqual(c, Cell(glyph: "\u{258D}", fg: green, bg: white))
    }

    func testRightFiveEighthsGivesSameSplitSwapped() {
        // Right 5/8 green = left 3/8 white.
        let c = one(cellImage { x, _ in x >= 3 ? t(green) : t(white) })
        XCTAssertEqual(c, Cell(glyph: "\u{258D}", fg: white, bg: green))
    }

    func testLowerEighthsAndQuadrants() {
        // Lower 5/8 = 10 of 16 pixel rows.
        XCTAssertEqual(one(cellImage { _, y in y >= 6 ? t(red) : t(white) }), Cell(glyph: "\u{2585}", fg: red, bg: white))
        // Upper-left quadrant.
        XCTAssertEqual(one(cellImage { x, y in x < 4 && y < 8 ? t(blue) : t(white) }), Cell(glyph: "\u{2598}", fg: blue, bg: white))
        // Three quadrants blue = lower-right white.
        XCTAssertEqual(one(cellImage { x, y in x >= 4 && y >= 8 ? t(white) : t(blue) }), Cell(glyph: "\u{2597}", fg: white, bg: blue))
        // Diagonal.
        XCTAssertEqual(one(cellImage { x, y in (x < 4) == (y < 8) ? t(green) : t(red) }), Cell(glyph: "\u{259A}", fg: green, bg: red))
        // Uniform.
        XCTAssertEqual(one(cellImage { _, _ in t(red) }), Cell(glyph: " ", fg: red, bg: red))
    }

    /// Random cells (8x8 samples each, so sampling is the identity): the
    /// chosen glyph must have the least error of all Block Elements shapes
    /// (brute force over every glyph mask with exact means).
    func testTruecolorChoiceIsLeastSquaresOverAllBlockGlyphs() {
        var rng = Rng(s: 0x9E3779B97F4A7C15)
        for trial in 0..<300 {
            // Two random colours split along a random glyph, plus noise.
            let a = (rng.byte(), rng.byte(), rng.byte()), b = (rng.byte(), rng.byte(), rng.byte())
            let shape = coverageMask(allBlockGlyphs[Int(rng.next() % UInt64(allBlockGlyphs.count))])!
            let noise = Int(rng.next() % 60)
            var img = RGBImage(width: 8, height: 8)
            var px = [Double](repeating: 0, count: 192)
            for y in 0..<8 { for x in 0..<8 {
                let on = (shape >> UInt64(8 * y + x)) & 1 == 1
                let c = on ? a : b
                func j(_ v: UInt8) -> UInt8 { UInt8(clamping: Int(v) + (noise == 0 ? 0 : Int(rng.next() % UInt64(2 * noise + 1)) - noise)) }
                let p = (j(c.0), j(c.1), j(c.2))
                img.setPixel(x: x, y: y, p)
                px[3 * (8 * y + x)] = Double(p.0); px[3 * (8 * y + x) + 1] = Double(p.1); px[3 * (8 * y + x) + 2] = Double(p.2)
            }}
            let cell = render(img, columns: 1, rows: 1, glyphs: .blocks, mode: .truecolor).cells[0]
            func exactErr(_ m: UInt64) -> Double {
                let f = maskMean(px, m, on: true), g = maskMean(px, m, on: false)
                return maskError(px, m, f ?? g!, g ?? f!)
            }
            let best = allBlockGlyphs.map { exactErr(coverageMask($0)!) }.min()!
            let chosen = exactErr(coverageMask(cell.glyph)!)
            XCTAssertLessThanOrEqual(chosen, best + 1e-6 * (best + 1), "trial \(trial): \(cell.glyph) error \(chosen) > best \(best)")
            // Colours are the rounded means of the chosen split.
            let m = coverageMask(cell.glyph)!
            if m != 0, let f = maskMean(px, m, on: true) {
                XCTAssertEqual(Double(cell.fg.r), f.0, accuracy: 0.51); XCTAssertEqual(Double(cell.fg.g), f.1, accuracy: 0.51)
            }
        }
    }

    /// In 256 colours the choice must be least squares over glyph AND both
    /// colours from the 240 fixed ones (brute force: each side independently
    /// over all 240 colours, for every glyph).
    func testPaletteChoiceIsLeastSquaresAfterQuantisation() throws {
        var rng = Rng(s: 12345)
        let custom = try Palette.kMeans(try Fixtures.load("cat_150x100.rgb"), count: 64)
        for (mode, palette, given) in [(ColorMode.c256, Palette.xterm240, false), (.c256, custom, true), (.c16, .ansi16, false)] {
        let pal = palette.colors.map { (Double($0.r), Double($0.g), Double($0.b)) }
        for trial in 0..<30 {
            var img = RGBImage(width: 8, height: 8)
            var px = [Double](repeating: 0, count: 192)
            let a = (rng.byte(), rng.byte(), rng.byte())
            for i in 0..<64 {
                let p = (UInt8(clamping: Int(a.0) + Int(rng.byte() % 90)), UInt8(clamping: Int(a.1) - Int(rng.byte() % 90)), rng.byte())
                img.setPixel(x: i % 8, y: i / 8, p)
                px[3 * i] = Double(p.0); px[3 * i + 1] = Double(p.1); px[3 * i + 2] = Double(p.2)
            }
            let cell = render(img, columns: 1, rows: 1, glyphs: .blocks, mode: mode, palette: given ? palette : nil).cells[0]
            func bestErr(_ m: UInt64) -> Double {
                var e = 0.0
                for on in [true, false] {
                    var side = Double.infinity
                    for p in pal {
                        var s = 0.0
                        for i in 0..<64 where ((m >> UInt64(i)) & 1 == 1) == on {
                            let dr = px[3 * i] - p.0, dg = px[3 * i + 1] - p.1, db = px[3 * i + 2] - p.2
                            s += dr * dr + dg * dg + db * db
                        }
                        side = min(side, s)
                    }
                    e += side
                }
                return e
            }
            let best = allBlockGlyphs.map { bestErr(coverageMask($0)!) }.min()!
            let got = maskError(px, coverageMask(cell.glyph)!, (Double(cell.fg.r), Double(cell.fg.g), Double(cell.fg.b)), (Double(cell.bg.r), Double(cell.bg.g), Double(cell.bg.b)))
            XCTAssertLessThanOrEqual(got, best * (1 + 1e-9) + 1e-6, "\(mode) custom=\(given) trial \(trial)")
            XCTAssertEqual(palette.colors[Int(cell.fgIndex) - palette.firstIndex], cell.fg)
            XCTAssertEqual(palette.colors[Int(cell.bgIndex) - palette.firstIndex], cell.bg)
            XCTAssertGreaterThanOrEqual(Int(cell.fgIndex), palette.firstIndex)
        }
        }
    }

    func testNearestMatchesBruteForce() throws {
        var rng = Rng(s: 777)
        let custom = try Palette.kMeans(try Fixtures.load("overlay_150x100.rgb"), count: 200)
        XCTAssertEqual(custom.colors.count, 200)
        for palette in [Palette.xterm240, custom, .ansi16, .ansi8] {
          let pal = palette.colors
          var misses = 0
          for _ in 0..<5000 {
            let r = Double(rng.byte()) + Double(rng.byte() % 100) / 100, g = Double(rng.byte()), b = Double(rng.byte()) + 0.5
            let got = pal[palette.nearest(r, g, b)]
            func d(_ c: RGB) -> Double { let x = r - Double(c.r), y = g - Double(c.g), z = b - Double(c.b); return x * x + y * y + z * z }
            let best = pal.map(d).min()!
            if palette.colors.count <= 240 && palette != custom {
                XCTAssertEqual(d(got), best, accuracy: 1e-9)
            } else {
                // Large custom palettes: exact but for rare bin-interior cells.
                if d(got) > best + 1e-9 { misses += 1 }
                XCTAssertLessThanOrEqual(d(got), best * 1.01 + 1e-9)
            }
          }
          XCTAssertLessThanOrEqual(misses, 10)
        }
    }
}
