import IGImaging
import IGRender
@testable import IGViewer
import XCTest

/// A click on the picture puts the probe on the map cell under it (`mouseProbe`, then `reduce`).
final class MouseTests: XCTestCase {
    let map = MapResult(map: (0..<48).map { Float($0 % 7) - 2 }, width: 8, height: 6, done: 1, total: 1, seconds: 0.2)

    /// The picture's cells on a `width` x `height` screen, worked out from the layout.
    func tile(_ s: ViewerState, _ width: Int, _ height: Int) -> (x: Int, y: Int, columns: Int, rows: Int) {
        let area = Layout(width: width, height: height).image
        let f = fitGrid(imageWidth: s.image!.width, imageHeight: s.image!.height, maxColumns: area.width, maxRows: area.height)
        return (area.x + (area.width - f.columns) / 2, area.y + (area.height - f.rows) / 2, f.columns, f.rows)
    }

    func testClickFindsEveryMapCell() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = map
        let t = tile(s, 120, 40)
        // The cell at each map cell's centre (photo pixels to cells), clicked, gives that map cell.
        for r in 0..<6 {
            for c in 0..<8 {
                let px = (Double(c) + 0.5) * Double(s.image!.width) / 8, py = (Double(r) + 0.5) * Double(s.image!.height) / 6
                let x = t.x + Int(px * Double(t.columns) / Double(s.image!.width)), y = t.y + Int(py * Double(t.rows) / Double(s.image!.height))
                XCTAssertEqual(mouseProbe(s, x: x, y: y, width: 120, height: 40), .probeAt(row: r, column: c), "cell \(r),\(c)")
            }
        }
        // The picture's corners are the map's corners; outside the picture nothing.
        XCTAssertEqual(mouseProbe(s, x: t.x, y: t.y, width: 120, height: 40), .probeAt(row: 0, column: 0))
        XCTAssertEqual(mouseProbe(s, x: t.x + t.columns - 1, y: t.y + t.rows - 1, width: 120, height: 40), .probeAt(row: 5, column: 7))
        XCTAssertNil(mouseProbe(s, x: t.x + t.columns, y: t.y, width: 120, height: 40))
        XCTAssertNil(mouseProbe(s, x: 119, y: 5, width: 120, height: 40), "the panel")
        XCTAssertNil(mouseProbe(s, x: 5, y: 39, width: 120, height: 40), "the hint line")
        // Only over a single picture.
        var g = s; g.view = .grid
        XCTAssertNil(mouseProbe(g, x: t.x + 5, y: t.y + 5, width: 120, height: 40))
        var d = s; d.compare = .method(.gradCAM)
        XCTAssertNil(mouseProbe(d, x: t.x + 5, y: t.y + 5, width: 120, height: 40))
        XCTAssertNil(mouseProbe(s, x: t.x + 5, y: t.y + 5, width: 30, height: 10), "too small")
    }

    func testClickOutsideTheCropIsNothing() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = map
        // A crop model: the network sees the centre square of the 48 x 40 photo (about x 6..<42, y 2..<38).
        s.geometry = InputGeometry(resize: .crop, height: 32, width: 32)
        let reg = try XCTUnwrap(s.inputRegion)
        XCTAssertGreaterThan(reg.x, 0)
        let t = tile(s, 120, 40)
        XCTAssertNil(mouseProbe(s, x: t.x, y: t.y + 3, width: 120, height: 40), "left of the crop")
        XCTAssertNil(mouseProbe(s, x: t.x + t.columns - 1, y: t.y + 3, width: 120, height: 40), "right of the crop")
        // Just inside the crop's top-left corner: the map's first cell.
        let left = t.x + Int((Double(reg.x) + 1) * Double(t.columns) / Double(s.image!.width)) + 1
        let top = t.y + Int((Double(reg.y) + 1) * Double(t.rows) / Double(s.image!.height)) + 1
        XCTAssertEqual(mouseProbe(s, x: left, y: top, width: 120, height: 40), .probeAt(row: 0, column: 0))
    }

    func testProbeAtTurnsTheProbeOnWithoutWork() throws {
        var s = try loadedState()
        s.results[try XCTUnwrap(s.currentKey)] = map
        XCTAssertNil(s.probe)
        let (on, e) = reduce(s, .probeAt(row: 4, column: 6))
        XCTAssertEqual(on.probe, ProbeCursor(row: 4, column: 6))
        XCTAssertEqual(e, [], "a click starts no work")
        XCTAssertTrue(on.status.contains("probe"), on.status)
        XCTAssertEqual(reduce(on, .probeAt(row: 40, column: -3)).0.probe, ProbeCursor(row: 5, column: 0), "clamped into the map")
        // Then the keys still move it, and x leaves.
        XCTAssertEqual(reduce(on, .left).0.probe, ProbeCursor(row: 4, column: 5))
        XCTAssertNil(reduce(on, .char("x")).0.probe)
    }
}
