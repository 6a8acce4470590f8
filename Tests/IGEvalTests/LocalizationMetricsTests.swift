import XCTest
@testable import IGEval

/// 4x4 mask whose top-left 2x2 block is the box (4 of 16 pixels).
let box4: [Bool] = (0..<16).map { ($0 % 4) < 2 && ($0 / 4) < 2 }

final class LocalizationMetricsTests: XCTestCase {
    func testEBPGMapInsideBoxIsOne() throws {
        var map = [Float](repeating: 0, count: 16)
        map[0] = 1; map[1] = 2; map[4] = 3; map[5] = 4
        XCTAssertEqual(try ebpg(map: map, mask: box4), 1, accuracy: 1e-6)
    }

    func testEBPGUniformMapIsAreaFraction() throws {
        XCTAssertEqual(try ebpg(map: [Float](repeating: 0.7, count: 16), mask: box4), 0.25, accuracy: 1e-6)
    }

    func testEBPGMixed() throws {
        var map = [Float](repeating: 0, count: 16)
        map[0] = 3        // inside
        map[15] = 1       // outside
        map[14] = -5      // negative: treated as 0
        XCTAssertEqual(try ebpg(map: map, mask: box4), 0.75, accuracy: 1e-6)
    }

    func testEBPGAllZeroIsZeroNotNaN() throws {
        let v = try ebpg(map: [Float](repeating: 0, count: 16), mask: box4)
        XCTAssertFalse(v.isNaN)
        XCTAssertEqual(v, 0)
    }

    func testEBPGErrors() {
        XCTAssertThrowsError(try ebpg(map: [1, 2], mask: box4))
        XCTAssertThrowsError(try ebpg(map: [Float](repeating: .nan, count: 16), mask: box4))
    }

    func testBboxDistinctValues() throws {
        // Top 4 values: 16, 15, 14 inside, 13 outside -> 3/4.
        var map = [Float](repeating: 1, count: 16)
        map[0] = 16; map[1] = 15; map[4] = 14; map[10] = 13; map[5] = 2
        XCTAssertEqual(try bbox(map: map, mask: box4), 0.75, accuracy: 1e-6)
    }

    func testBboxTiesAreSharedFractionally() throws {
        // N = 4. Values: 5 (inside), four 1s (two inside, two outside), rest 0.
        // v = 1, G = 1 (inside), T = 4, T_in = 2, slots 3 -> (1 + 2 * 3/4) / 4 = 0.625.
        var map = [Float](repeating: 0, count: 16)
        map[0] = 5; map[1] = 1; map[4] = 1; map[2] = 1; map[12] = 1
        XCTAssertEqual(try bbox(map: map, mask: box4), 0.625, accuracy: 1e-6)
        // Same multiset of (value, inside) at other positions: same score (order-independent).
        var map2 = [Float](repeating: 0, count: 16)
        map2[5] = 5; map2[4] = 1; map2[0] = 1; map2[15] = 1; map2[3] = 1
        XCTAssertEqual(try bbox(map: map2, mask: box4), 0.625, accuracy: 1e-6)
    }

    func testBboxUniformMapIsAreaFraction() throws {
        XCTAssertEqual(try bbox(map: [Float](repeating: 2, count: 16), mask: box4), 0.25, accuracy: 1e-6)
    }

    func testBboxDefinedCases() throws {
        XCTAssertEqual(try bbox(map: [Float](repeating: 0, count: 16), mask: box4), 0)
        var map = [Float](repeating: 0, count: 16); map[3] = 1
        XCTAssertEqual(try bbox(map: map, mask: [Bool](repeating: false, count: 16)), 0)
    }

    // Pointing game on a 40 x 40 grid with one mask pixel at (5, 5).
    func pg(_ x: Int, _ y: Int, tolerance: Float = 15) throws -> Bool {
        var mask = [Bool](repeating: false, count: 1600); mask[5 * 40 + 5] = true
        var map = [Float](repeating: 0.1, count: 1600); map[y * 40 + x] = 1
        return try pointingGame(map: map, mask: mask, width: 40, height: 40, tolerance: tolerance)
    }

    func testPointingGameToleranceBoundary() throws {
        XCTAssertTrue(try pg(5 + 14, 5))
        XCTAssertTrue(try pg(5 + 15, 5))           // exactly 15: hit (<=)
        XCTAssertFalse(try pg(5 + 16, 5))
        XCTAssertTrue(try pg(5, 5 + 14))
        XCTAssertFalse(try pg(5, 5 + 16))
        XCTAssertTrue(try pg(5 + 9, 5 + 12))       // distance 15
        XCTAssertFalse(try pg(5 + 10, 5 + 12))     // sqrt(244) = 15.6
        XCTAssertTrue(try pg(5, 5, tolerance: 0))
        XCTAssertFalse(try pg(6, 5, tolerance: 0))
    }

    func testPointingGameAnyMaximumCounts() throws {
        var mask = [Bool](repeating: false, count: 1600); mask[5 * 40 + 5] = true
        var map = [Float](repeating: 0, count: 1600)
        map[0 * 40 + 39] = 2        // far away, first in raster order
        map[39 * 40 + 39] = 2       // far away
        XCTAssertFalse(try pointingGame(map: map, mask: mask, width: 40, height: 40))
        map[6 * 40 + 6] = 2         // near tie
        XCTAssertTrue(try pointingGame(map: map, mask: mask, width: 40, height: 40))
    }

    func testPointingGameAllZeroIsMissAndErrors() throws {
        var mask = [Bool](repeating: false, count: 1600); mask[5 * 40 + 5] = true
        XCTAssertFalse(try pointingGame(map: [Float](repeating: 0, count: 1600), mask: mask, width: 40, height: 40))
        XCTAssertThrowsError(try pointingGame(map: [Float](repeating: 1, count: 1600), mask: mask, width: 30, height: 40))
    }
}
