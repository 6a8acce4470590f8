@testable import IGViewer
import XCTest

final class ScriptTests: XCTestCase {
    func testParse() throws {
        let steps = try parseScript("""
            # a lecture
            wait
            x            # probe
            Up
            left
            ESC
            type =12
            sleep 1.5
            #

            q
            """)
        XCTAssertEqual(steps, [.waitMap, .key(.char("x")), .key(.up), .key(.left), .key(.escape),
                               .key(.char("=")), .key(.char("1")), .key(.char("2")), .sleep(1.5), .key(.char("#")), .key(.char("q"))])
        for bad in ["sleep", "sleep -1", "sleep x", "Upp", "m m", "sleep 1e9"] {
            XCTAssertThrowsError(try parseScript("q\n" + bad), bad) { e in
                XCTAssertTrue("\(e)".contains("script line 2"), "\(e)")
            }
        }
    }

    func testPlayerWaitsForPausesAndMaps() throws {
        var s = try loadedState()
        var p = ScriptPlayer([.key(.char("o")), .sleep(1), .waitMap, .key(.char("c"))])
        XCTAssertEqual(p.next(now: 0, state: s), .char("o"))
        XCTAssertNil(p.next(now: 0.5, state: s), "sleeping until 1.5")
        XCTAssertNil(p.next(now: 1.4, state: s))
        XCTAssertNil(p.next(now: 1.6, state: s), "slept; the map is not there yet")
        XCTAssertFalse(mapSettled(s))
        for k in s.work!.keys { s.results[k] = MapResult(map: [1], width: 1, height: 1, done: 1, total: 1, seconds: 0.1) }
        XCTAssertTrue(mapSettled(s))
        XCTAssertEqual(p.next(now: 1.7, state: s), .char("c"))
        XCTAssertTrue(p.finished)
        XCTAssertNil(p.next(now: 9, state: s))
        // A failed map counts as settled; an image still loading does not.
        var f = try loadedState()
        for k in f.work!.keys { f.failures[k] = "boom" }
        XCTAssertTrue(mapSettled(f))
        f.image = nil
        XCTAssertFalse(mapSettled(f))
    }

    func testUTF8Cut() {
        XCTAssertEqual(utf8Prefix(Array("ab".utf8)), 2)
        let block = Array("a█".utf8)  // 'a' + 3 bytes
        XCTAssertEqual(utf8Prefix(block), 4)
        XCTAssertEqual(utf8Prefix(Array(block.prefix(3))), 1, "stops before the cut character")
        XCTAssertEqual(utf8Prefix(Array(block.prefix(2))), 1)
        XCTAssertEqual(utf8Prefix([]), 0)
    }
}
