import IGExplain
import IGImaging
import IGRender
@testable import IGViewer
import XCTest

/// The probe, the colour bar, the m ladder and the difference view: their
/// numbers (against values worked out by hand), their keys and their drawing.
final class ReadoutTests: XCTestCase {
    // 3 x 2 map, row-major: 1 2 / 3 4 / 4 -1
    let small: [Float] = [1, 2, 3, 4, 4, -1]

    func testProbeValuePercentileAndImageCoordinate() throws {
        // Cell (row 1, column 0) = 3: one value equal (itself), three below (1, 2, -1): (3 + 0.5) / 6.
        let r = try XCTUnwrap(probe(small, mapWidth: 2, mapHeight: 3, at: ProbeCursor(row: 1, column: 0), region: (0, 0, 200, 300)))
        XCTAssertEqual(r.value, 3)
        XCTAssertEqual(r.percentile, 100 * 3.5 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.imageX, 50, "centre of the left half of 200 pixels")
        XCTAssertEqual(r.imageY, 150, "centre of the middle third of 300 pixels")
        // Two equal maxima share the rank (4 below, 2 equal): (4 + 1) / 6.
        let top = try XCTUnwrap(probe(small, mapWidth: 2, mapHeight: 3, at: ProbeCursor(row: 1, column: 1), region: (0, 0, 2, 3)))
        XCTAssertEqual(top.percentile, 100 * 5 / 6, accuracy: 1e-9)
        // The minimum: nothing below, itself equal: 0.5 / 6.
        let low = try XCTUnwrap(probe(small, mapWidth: 2, mapHeight: 3, at: ProbeCursor(row: 2, column: 1), region: (0, 0, 2, 3)))
        XCTAssertEqual(low.value, -1)
        XCTAssertEqual(low.percentile, 100 * 0.5 / 6, accuracy: 1e-9)
        // A centre crop (x 40..<240 of a wider photo): the coordinate lands inside it.
        let crop = try XCTUnwrap(probe(small, mapWidth: 2, mapHeight: 3, at: ProbeCursor(row: 0, column: 1), region: (40, 0, 200, 300)))
        XCTAssertEqual(crop.imageX, 40 + 150)
        XCTAssertEqual(crop.imageY, 50)
        // Out-of-range cursors clamp; a mis-sized map has no reading.
        XCTAssertEqual(probe(small, mapWidth: 2, mapHeight: 3, at: ProbeCursor(row: 9, column: -3), region: (0, 0, 2, 3))?.value, 4)
        XCTAssertNil(probe(small, mapWidth: 3, mapHeight: 3, at: ProbeCursor(row: 0, column: 0), region: (0, 0, 2, 3)))
    }

    func testLadderChangeSparklineAndDifference() {
        XCTAssertEqual(ladderSteps(50), [1, 2, 4, 8, 16, 32])
        XCTAssertEqual(ladderSteps(64), [1, 2, 4, 8, 16, 32, 64])
        XCTAssertEqual(ladderSteps(1), [1])
        XCTAssertEqual(ladderSteps(4096).count, 13)
        // Averages: M_2 / 2 = (2, 0), M_1 / 1 = (1, 0): |(1, 0)| / |(2, 0)| = 0.5.
        XCTAssertEqual(relativeChange([4, 0], steps: 2, from: [1, 0], steps: 1) ?? -1, 0.5, accuracy: 1e-12)
        // A sum that grows with m but whose average does not: no change.
        XCTAssertEqual(relativeChange([6, 8], steps: 2, from: [3, 4], steps: 1) ?? -1, 0, accuracy: 1e-12)
        XCTAssertNil(relativeChange([0, 0], steps: 2, from: [1, 1], steps: 1))
        XCTAssertNil(relativeChange([1], steps: 2, from: [1, 1], steps: 1))
        XCTAssertEqual(sparkline([1, 0.5, 0]), "█▅▁")
        XCTAssertEqual(sparkline([]), "")
        // Normalised difference: (0, 0.5, 1) - (1, 0.5, 0).
        XCTAssertEqual(normalisedDifference([0, 1, 2], [10, 5, 0]), [-1, 0, 1])
        XCTAssertEqual(normalisedDifference([3, 1, 2], [3, 1, 2]), [0, 0, 0])
        XCTAssertNil(normalisedDifference([1], [1, 2]))
        let r = finiteRange([2, .nan, -3, 7])
        XCTAssertEqual(r?.min, -3); XCTAssertEqual(r?.max, 7)
        XCTAssertNil(finiteRange([.nan]))
    }

    /// A 4 x 4 map at the current key of the tiny model's state (its layer is 8 x 8: the map's own size wins).
    let hot = MapResult(map: [9, 3, 1, 0, 3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0.5], width: 4, height: 4, done: 1, total: 1, seconds: 0.4)

    func withMap(_ s: ViewerState) throws -> ViewerState {
        var t = s
        t.results[try XCTUnwrap(s.currentKey)] = hot
        return t
    }

    func testProbeKeys() throws {
        let s = try withMap(try loadedState())
        let (on, e) = reduce(s, .char("x"))
        XCTAssertEqual(on.probe, ProbeCursor(row: 0, column: 0), "starts on the map's largest cell")
        XCTAssertEqual(e, [], "the probe starts no work")
        // Arrows and h/j/k/l move within the map and clamp at its edges; no work.
        let (moved, e2) = press(on, [.right, .right, .down, .char("l"), .char("j"), .char("h")])
        XCTAssertEqual(moved.probe, ProbeCursor(row: 2, column: 2))
        XCTAssertEqual(e2, [])
        XCTAssertEqual(moved.classIndex, s.classIndex, "j moves the probe, not the class")
        XCTAssertEqual(press(on, [.up, .left, .char("k")]).0.probe, ProbeCursor(row: 0, column: 0))
        XCTAssertEqual(press(on, [ .right, .right, .right, .right, .right, .down, .down, .down, .down, .down]).0.probe,
                       ProbeCursor(row: 3, column: 3))
        // Other keys still work; x or Esc leaves.
        XCTAssertEqual(press(on, chars("c")).0.colorMap, .turbo)
        XCTAssertNotNil(press(on, chars("c")).0.probe)
        XCTAssertNil(press(on, [.escape]).0.probe)
        XCTAssertNil(press(on, chars("x")).0.probe)
        // Without a map the probe starts in the middle of the layer's 8 x 8 grid.
        XCTAssertEqual(reduce(try loadedState(), .char("x")).0.probe, ProbeCursor(row: 4, column: 4))
    }

    func testLadderAndDifferenceKeysAndWork() throws {
        let s = try loadedState()
        let (t, e) = reduce(s, .char("t"))
        XCTAssertTrue(t.showLadder)
        XCTAssertEqual(e, [], "the ladder's maps are already part of IG-CAM's work")
        XCTAssertEqual(s.work?.keys.map(\.steps), [50, 1, 2, 4, 8, 16, 32])
        XCTAssertFalse(press(s, chars("tt")).0.showLadder)
        // Other methods have no ladder.
        XCTAssertEqual(press(s, chars("m")).0.work?.keys.map(\.method), [.gradCAM])
        // d: the current map minus Grad-CAM's; D cycles the partner; the partner joins the work.
        let (d, de) = reduce(t, .char("d"))
        XCTAssertEqual(d.compare, .method(.gradCAM))
        XCTAssertFalse(d.showLadder, "one of the two views at a time")
        guard case .request(let w)? = de.first else { return XCTFail("the partner's map is needed") }
        XCTAssertEqual(w.keys[0], s.currentKey)
        XCTAssertEqual(w.keys[1].method, .gradCAM)
        XCTAssertEqual(press(d, chars("D")).0.compare, .method(.gradCAMPlusPlus))
        // Every partner in turn: the 8 methods (itself included), the 4 baselines, the other reading.
        var c = d, seen = [Comparison]()
        for _ in 0..<Comparison.all.count { c = reduce(c, .char("D")).0; seen.append(c.compare!) }
        XCTAssertEqual(Set(seen), Set(Comparison.all))
        var own = s; own.compare = .method(s.method)
        XCTAssertEqual(own.compareKey, own.currentKey, "a method against itself")
        own.compare = .baseline(1)
        XCTAssertEqual(own.compareKey?.baseline, .mean)
        own.compare = .reading
        XCTAssertEqual(own.compareKey?.reading, .authorsCode)
        XCTAssertNil(press(d, chars("d")).0.compare)
    }

    func testPanelColourBarProbeAndConvergence() throws {
        var s = try withMap(try loadedState())
        s.probe = ProbeCursor(row: 1, column: 0)
        // Ladder maps whose averages change by 1/2, then 1/4 (by hand: A_1 = (4, 0), A_2 = (2, 0)...).
        let ladder = s.ladderKeys
        XCTAssertEqual(ladder.map(\.steps), [1, 2, 4, 8, 16, 32])
        for (i, k) in ladder.prefix(3).enumerated() {
            let avg: Float = [4, 2, 1.5][i]
            s.results[k] = MapResult(map: [avg * Float(k.steps), 0], width: 2, height: 1, done: 1, total: 1, seconds: 0.1)
        }
        s.scores[try XCTUnwrap(s.scoreKey)] = PathScores(image: 5, baseline: 1)
        let composer = Composer(mode: .truecolor)
        let scr = draw(s, width: 120, height: 50, composer: composer)
        let text = (0..<50).map { String(scr.line($0).suffix(37)) }.joined(separator: "\n")
        XCTAssertTrue(text.contains("0=min 0  1=max 9"), text)
        // Cell (1, 0) = 3: 13 cells below it (nine 0s, 0.5, two 1s, 2), 2 equal (3, 3): (13 + 2 / 2) / 16.
        XCTAssertTrue(text.contains("probe 1,0 of 4x4"), text)
        XCTAssertTrue(text.contains("value 3 rank 87.5%"), text)
        // |A_2 - A_1| / |A_2| = 2 / 2 = 100%; |A_4 - A_2| / |A_4| = 0.5 / 1.5 = 33.3%.
        XCTAssertTrue(text.contains("dM% 100 33.3"), text)
        XCTAssertTrue(text.contains("3/6"), text)
        // Sum of the m = 50 map (19.5) / 50 against y(x) - y(x') = 4.
        XCTAssertTrue(text.contains("sum M/m 0.39 y-y' 4"), text)
        // The colour bar: the row above the range line runs from the colour map's 0 to its 1.
        let row = try XCTUnwrap((0..<50).first { scr.line($0).contains("0=min") }) - 1
        let lay = Layout(width: 120, height: 50)
        let barX = lay.panel.x + 1
        let c0 = s.colorMap.color(0), c1 = s.colorMap.color(1)
        XCTAssertEqual(scr[barX, row].bg, .rgb(RGB(c0.0, c0.1, c0.2).directSafe))
        XCTAssertEqual(scr[barX + lay.panel.width - 2, row].bg, .rgb(RGB(c1.0, c1.1, c1.2).directSafe))
        // The probe's cross-hair is in the image area.
        let marks = (0..<lay.image.height).flatMap { y in (0..<lay.image.width).filter { scr[$0, y].ch == "+" } }
        XCTAssertEqual(marks.count, 1)
    }

    /// A method against itself: the difference tile is white everywhere (0), the panel says A-B is 0.
    func testDifferenceOfAMethodWithItselfIsZero() throws {
        var s = try withMap(try loadedState())
        s.compare = .method(s.method)
        let scr = draw(s, width: 120, height: 40, composer: Composer(mode: .truecolor))
        XCTAssertTrue(scr.text.contains("A-B min 0 max 0"), scr.text)
        let lay = Layout(width: 120, height: 40)
        let labelRow = try XCTUnwrap((0..<40).first { scr.line($0).hasPrefix("A - B") || scr.line($0).contains(" A - B") })
        let labelX = try XCTUnwrap(scr.line(labelRow).range(of: "A - B")).lowerBound.utf16Offset(in: scr.line(labelRow))
        // The tile under the label: every coloured cell white.
        var cells = 0
        for y in (labelRow + 1)..<lay.image.height {
            for x in labelX..<min(labelX + 20, lay.image.width) where scr[x, y].bg != .normal {
                XCTAssertEqual(scr[x, y].bg, .rgb(RGB(255, 255, 255)), "(\(x), \(y))")
                cells += 1
            }
        }
        XCTAssertGreaterThan(cells, 50)
        // Against another map the tile has blue and red.
        var t = s
        t.compare = .method(.gradCAM)
        t.results[try XCTUnwrap(t.compareKey)] = MapResult(map: hot.map.reversed(), width: 4, height: 4, done: 1, total: 1, seconds: 0.1)
        let scr2 = draw(t, width: 120, height: 40, composer: Composer(mode: .truecolor))
        let tile = (0..<lay.image.height).flatMap { y in (0..<lay.image.width).map { scr2[$0, y].bg } }
        XCTAssertTrue(tile.contains { if case .rgb(let c) = $0 { return c.b > 200 && c.r < 100 } else { return false } }, "blue (A < B)")
        XCTAssertTrue(tile.contains { if case .rgb(let c) = $0 { return c.r > 200 && c.b < 100 } else { return false } }, "red (A > B)")
    }

    /// With a centre-crop model the heat map covers only the crop; the rest stays the photo.
    func testOverlayCoversOnlyTheInputRegion() {
        let img = testImage(width: 60, height: 30)
        let m = MapResult(map: [1, 0, 0, 1], width: 2, height: 2, done: 1, total: 1, seconds: 0.1)
        let reg: Region = (15, 0, 30, 30)
        let pic = Composer.picture(img, view: .heatmap, map: m, colorMap: .jet, opacity: 0.5, region: reg)
        for y in 0..<30 {
            for x in 0..<60 where x < 15 || x >= 45 { XCTAssertTrue(pic.pixel(x: x, y: y) == img.pixel(x: x, y: y)) }
        }
        let c = ColorMap.jet.color(1)
        XCTAssertTrue(pic.pixel(x: 15, y: 0) == c, "the map's corner at the crop's corner")
        XCTAssertEqual(scaleRegion((15, 0, 30, 30), from: (60, 30), to: (120, 60)).x, 30)
    }
}
