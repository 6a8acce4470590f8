import IGRender
@testable import IGViewer
import XCTest

final class SnapRunsTests: XCTestCase {
    /// A row of a smooth gradient (steps of 1 and 2) with one jump of 40 and a blank cell.
    func testSnapsSmallStepsKeepsJumpsAndBoundsTheError() {
        var cells: [Cell] = []
        for x in 0..<10 {
            let v = UInt8(100 + (x < 6 ? x * 2 : 40 + x))
            cells.append(Cell(glyph: x == 3 ? " " : "▀", fg: RGB(v, v, 50), bg: RGB(20, 20, UInt8(60 + x))))
        }
        let g = CellGrid(width: 10, height: 1, cells: cells, mode: .truecolor)
        let s = snapRuns(g, tolerance: 4)
        // Changes of colour the terminal must be sent, left to right.
        func changes(_ c: [RGB]) -> Int { zip(c, c.dropFirst()).filter { $0 != $1 }.count }
        XCTAssertLessThan(changes(s.cells.map(\.fg)), changes(g.cells.map(\.fg)))
        XCTAssertLessThan(changes(s.cells.map(\.bg)), changes(g.cells.map(\.bg)))
        for (a, b) in zip(g.cells, s.cells) {
            XCTAssertEqual(a.glyph, b.glyph)
            if a.glyph != " " { XCTAssertLessThanOrEqual(abs(Int(a.fg.r) - Int(b.fg.r)), 4) }
            XCTAssertLessThanOrEqual(abs(Int(a.bg.b) - Int(b.bg.b)), 4)
        }
        // The jump of 40 is kept exactly.
        XCTAssertEqual(s.cells[6].fg, g.cells[6].fg)
        // The blank cell's unseen foreground is its neighbour's.
        XCTAssertEqual(s.cells[3].fg, s.cells[2].fg)
    }
}
