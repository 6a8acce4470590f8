import Foundation
import IGExplain
import IGImaging
import IGRender
@testable import IGViewer
import XCTest

final class ImagePaletteTests: XCTestCase {
    let hot = MapResult(map: [9, 3, 1, 0, 3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], width: 4, height: 4, done: 1, total: 1, seconds: 0.42)

    func testPaletteOnlyIn256ModeOnTerminalsThatCanChangeColours() {
        // xterm-256color: 256 colours, can_change_color() true.
        XCTAssertTrue(usesImagePalette(mode: .c256, canChangeColor: true, colors: 256))
        // tmux-256color: 256 colours, cannot change them.
        XCTAssertFalse(usesImagePalette(mode: .c256, canChangeColor: false, colors: 256))
        // Direct colour, and the small palettes, never.
        XCTAssertFalse(usesImagePalette(mode: .truecolor, canChangeColor: true, colors: 1 << 24))
        XCTAssertFalse(usesImagePalette(mode: .c16, canChangeColor: true, colors: 256))
        XCTAssertFalse(usesImagePalette(mode: .c8, canChangeColor: true, colors: 8))
        // --color 256 forced on an 8-colour terminal that can change them: not enough colour numbers.
        XCTAssertFalse(usesImagePalette(mode: .c256, canChangeColor: true, colors: 8))
    }

    func testTrainingImageHasPhotoHeatAndBlend() {
        let base = testImage()
        XCTAssertEqual(paletteTrainingImage(base, map: nil, colorMap: .jet), base)
        let t = paletteTrainingImage(base, map: hot, colorMap: .jet)
        XCTAssertEqual(t.width, base.width)
        XCTAssertEqual(t.height, 3 * base.height)
        let n = base.pixels.count
        XCTAssertEqual(Array(t.pixels[0..<n]), base.pixels, "the photo first")
        let heat = Array(t.pixels[n..<2 * n]), half = Array(t.pixels[2 * n..<3 * n])
        XCTAssertNotEqual(heat, base.pixels)
        // The half blend lies between photo and heat map, channel by channel.
        var between = 0
        for i in 0..<n {
            let p = Int(base.pixels[i]), h = Int(heat[i]), m = Int(half[i])
            if min(p, h) - 1 <= m && m <= max(p, h) + 1 { between += 1 }
        }
        XCTAssertEqual(between, n)
    }

    func testComposerFitsPaletteInBackgroundAndItBeatsTheFixedColours() throws {
        let catPath = TmuxE2ETests.root + "/assets/photos/cat.png"
        guard FileManager.default.fileExists(atPath: catPath) else { throw XCTSkip("no \(catPath)") }
        var s = try loadedState()
        s.image = try loadImage(path: catPath)
        s.results[try XCTUnwrap(s.currentKey)] = hot
        let comp = Composer(mode: .c256)
        comp.imagePalettes = true
        let first = draw(s, width: 120, height: 40, composer: comp)
        XCTAssertNil(first.palette, "the fixed colours until the palette is fitted")
        let deadline = Date().addingTimeInterval(30)
        while !comp.takePaletteArrived() && Date() < deadline { usleep(10_000) }
        let second = draw(s, width: 120, height: 40, composer: comp)
        let pal = try XCTUnwrap(second.palette, "a fitted palette after it arrived")
        XCTAssertEqual(pal.firstIndex, 16)
        XCTAssertEqual(pal.colors.count, 240)
        XCTAssertNotEqual(pal, Palette.xterm240)
        XCTAssertNotEqual(first.cells, second.cells, "re-rendered with the new palette")
        // Other display keys keep the palette (no refit); a new colour map refits.
        XCTAssertEqual(draw(reduce(s, .char("o")).0, width: 120, height: 40, composer: comp).palette, pal)
        // Decode both tiles back to pixels (cells carry the RGB of their colour
        // numbers) and compare with the picture they show.
        let fit = fitGrid(imageWidth: s.image!.width, imageHeight: s.image!.height, maxColumns: Layout(width: 120, height: 40).image.width, maxRows: 38)
        let tileFitted = comp.tile(state: s, image: s.image!, method: s.method, columns: fit.columns, rows: fit.rows)
        let fixedComp = Composer(mode: .c256)
        let tileFixed = fixedComp.tile(state: s, image: s.image!, method: s.method, columns: fit.columns, rows: fit.rows)
        for c in tileFitted.cells { XCTAssertTrue((16...255).contains(Int(c.fgIndex)) && (16...255).contains(Int(c.bgIndex))) }
        let ref = Composer.picture(resizeBilinear(s.image!, width: fit.columns * 8, height: fit.rows * 8), view: .overlay, map: hot, colorMap: s.colorMap, opacity: s.opacity)
        let pFitted = psnr(decode(tileFitted, subWidth: 8, subHeight: 8), ref)
        let pFixed = psnr(decode(tileFixed, subWidth: 8, subHeight: 8), ref)
        XCTAssertGreaterThan(pFitted, pFixed + 2, "fitted \(pFitted) dB against fixed \(pFixed) dB")
    }
}
