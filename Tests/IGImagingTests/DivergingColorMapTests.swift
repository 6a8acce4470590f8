import IGImaging
import XCTest

final class DivergingColorMapTests: XCTestCase {
    func testEndsMiddleAndRamp() {
        XCTAssertTrue(divergingColor(-1) == (0, 0, 255))
        XCTAssertTrue(divergingColor(0) == (255, 255, 255))
        XCTAssertTrue(divergingColor(1) == (255, 0, 0))
        // Half way: matplotlib's bwr at 0.25 and 0.75 of its range is (0.5, 0.5, 1) and (1, 0.5, 0.5).
        XCTAssertTrue(divergingColor(-0.5) == (128, 128, 255))
        XCTAssertTrue(divergingColor(0.5) == (255, 128, 128))
        XCTAssertTrue(divergingColor(-7) == (0, 0, 255), "clamps")
        XCTAssertTrue(divergingColor(3) == (255, 0, 0), "clamps")
        XCTAssertTrue(divergingColor(.nan) == (255, 255, 255))
        // Monotone: the red channel never falls from -1 to 0, the blue one never rises from 0 to 1.
        var last = divergingColor(-1)
        for i in 1...200 {
            let c = divergingColor(-1 + Float(i) / 100)
            if i <= 100 { XCTAssertGreaterThanOrEqual(c.0, last.0) } else { XCTAssertLessThanOrEqual(c.2, last.2) }
            last = c
        }
    }
}
