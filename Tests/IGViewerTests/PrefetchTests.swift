import Foundation
import IGExplain
import IGImaging
import IGRender
@testable import IGViewer
import XCTest

/// Rendering ahead: draw starts no background work; the UI loop hands the
/// composer the states the reducer gives for o, c and v, and those keys then
/// find their tile ready.
final class PrefetchTests: XCTestCase {
    let hot = MapResult(map: [9, 3, 1, 0, 3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], width: 4, height: 4, done: 1, total: 1, seconds: 0.42)

    func testDisplayKeysFindTheirTileRenderedAhead() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = hot
        let c = Composer(mode: .truecolor)
        c.prefetch = true
        _ = draw(s, width: 100, height: 30, composer: c)
        XCTAssertEqual(c.renders, 1)
        usleep(100_000)   // (time for any background render draw might have started)
        XCTAssertEqual(c.prefetched, 0, "draw itself starts no background work")

        let next = displayNeighbours(s)
        XCTAssertEqual(next.map(\.opacityIndex), [s.opacityIndex + 1, s.opacityIndex, s.opacityIndex])
        XCTAssertEqual(next.map(\.view), [.overlay, .overlay, .heatmap])
        XCTAssertNotEqual(next[1].colorMap, s.colorMap)
        let size = try XCTUnwrap(mainTileSize(s, width: 100, height: 30))
        c.prefetch(from: s, to: next, image: try XCTUnwrap(s.image), columns: size.columns, rows: size.rows)
        let deadline = Date().addingTimeInterval(20)
        while c.prefetched < 3 && Date() < deadline { usleep(5_000) }
        XCTAssertEqual(c.prefetched, 3)

        for key in ["o", "c", "v"] {
            let before = c.renders
            _ = draw(reduce(s, .char(Character(key))).0, width: 100, height: 30, composer: c)
            XCTAssertEqual(c.renders, before, "\(key): its tile was rendered ahead")
        }
        // Asked again, nothing is rendered twice.
        c.prefetch(from: s, to: next, image: try XCTUnwrap(s.image), columns: size.columns, rows: size.rows)
        usleep(50_000)
        XCTAssertEqual(c.prefetched, 3)
    }

    func testNothingIsRenderedAheadBeforeTheMapIsFinalOrWithoutASingleTile() throws {
        var s = try loadedState()
        let c = Composer(mode: .truecolor)
        c.prefetch = true
        var partial = hot
        partial.seconds = nil
        s.results[try XCTUnwrap(s.currentKey)] = partial
        let size = try XCTUnwrap(mainTileSize(s, width: 100, height: 30))
        c.prefetch(from: s, to: displayNeighbours(s), image: try XCTUnwrap(s.image), columns: size.columns, rows: size.rows)
        usleep(50_000)
        XCTAssertEqual(c.prefetched, 0, "a partial map changes: nothing to render ahead yet")
        // No single main tile: the help screen, the grid, the difference view.
        var help = s; help.input = .help
        var grid = s; grid.view = .grid
        var diff = s; diff.compare = .method(.gradCAM)
        for t in [help, grid, diff] { XCTAssertNil(mainTileSize(t, width: 100, height: 30)) }
        XCTAssertNil(mainTileSize(s, width: 20, height: 5), "too small")
    }
}
