import XCTest
@testable import IGImaging

final class ColorMapTests: XCTestCase {
    /// End points of the published tables (matplotlib _cm_listed.py values x255, truncated).
    func testPublishedEndpoints() {
        XCTAssertTrue(ColorMap.viridis.color(0) == (68, 1, 84))
        XCTAssertTrue(ColorMap.viridis.color(1) == (253, 231, 36))
        XCTAssertTrue(ColorMap.inferno.color(0) == (0, 0, 3))
        XCTAssertTrue(ColorMap.inferno.color(1) == (252, 254, 164))
        XCTAssertTrue(ColorMap.turbo.color(0) == (48, 18, 59))
        XCTAssertTrue(ColorMap.turbo.color(1) == (122, 4, 2))
        XCTAssertTrue(ColorMap.jet.color(0) == (0, 0, 127))
        XCTAssertTrue(ColorMap.jet.color(1) == (127, 0, 0))
        for m in ColorMap.allCases { XCTAssertEqual(m.table.count, 768, m.rawValue) }
    }

    /// jet against matplotlib's piecewise-linear segment data, evaluated here independently.
    func testJetFollowsSegmentData() {
        let red: [(Double, Double)] = [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)]
        let green: [(Double, Double)] = [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)]
        let blue: [(Double, Double)] = [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]
        func eval(_ s: [(Double, Double)], _ x: Double) -> Double {
            for k in 1..<s.count where x <= s[k].0 {
                let (x0, y0) = s[k - 1], (x1, y1) = s[k]
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            }
            return s.last!.1
        }
        for i in 0..<256 {
            let x = Double(i) / 255
            let c = ColorMap.jet.color((Float(i) + 0.5) / 256)
            XCTAssertEqual(Double(c.0), eval(red, x) * 255, accuracy: 1.01, "r \(i)")
            XCTAssertEqual(Double(c.1), eval(green, x) * 255, accuracy: 1.01, "g \(i)")
            XCTAssertEqual(Double(c.2), eval(blue, x) * 255, accuracy: 1.01, "b \(i)")
        }
    }

    /// matplotlib's float-to-index rule: Int(t*256), 1 -> 255, clamped, NaN -> 0.
    func testIndexRule() {
        XCTAssertEqual(ColorMap.index(0.5), 128)
        XCTAssertEqual(ColorMap.index(0.4999), 127)
        XCTAssertEqual(ColorMap.index(1), 255)
        XCTAssertEqual(ColorMap.index(2), 255)
        XCTAssertEqual(ColorMap.index(-1), 0)
        XCTAssertEqual(ColorMap.index(.nan), 0)
    }
}
