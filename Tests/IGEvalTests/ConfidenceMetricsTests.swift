import XCTest
import IGImaging
@testable import IGEval

final class ConfidenceMetricsTests: XCTestCase {
    func testAverageDropAndIncrease() throws {
        // Drops: (0.8-0.4)/0.8 = 0.5 and 0 -> mean 0.25 -> 25 %. Increase: 1 of 2 -> 50 %.
        XCTAssertEqual(try averageDrop(y: [0.8, 0.5], o: [0.4, 0.6]), 25, accuracy: 1e-4)
        XCTAssertEqual(try increaseInConfidence(y: [0.8, 0.5], o: [0.4, 0.6]), 50, accuracy: 1e-4)
    }

    func testEqualScoresNeitherDropNorIncrease() throws {
        XCTAssertEqual(try averageDrop(y: [0.5, 0.2], o: [0.5, 0.2]), 0)
        XCTAssertEqual(try increaseInConfidence(y: [0.5, 0.2], o: [0.5, 0.2]), 0)
    }

    func testZeroYContributesNoDrop() throws {
        // Terms: 0 (Y = 0) and (0.5-0.25)/0.5 = 0.5 -> mean 0.25.
        XCTAssertEqual(try averageDrop(y: [0, 0.5], o: [0.1, 0.25]), 25, accuracy: 1e-4)
        XCTAssertEqual(try increaseInConfidence(y: [0, 0.5], o: [0.1, 0.25]), 50, accuracy: 1e-4)
    }

    func testErrors() {
        XCTAssertThrowsError(try averageDrop(y: [0.1], o: [0.1, 0.2]))
        XCTAssertThrowsError(try averageDrop(y: [], o: []))
        XCTAssertThrowsError(try increaseInConfidence(y: [.nan], o: [0.2]))
    }

    func testMaskedImageAndNormalize() throws {
        // The masks come from IGImaging's one normaliser: NaN and infinities count as 0.
        XCTAssertEqual(normalizeMinMax([2, 4, 6]), [0, 0.5, 1])
        XCTAssertEqual(normalizeMinMax([3, 3]), [0, 0])
        XCTAssertEqual(normalizeMinMax([.nan, 2, -.infinity, 6]), [0, 0, 0, 1])
        let e = try maskedImage(chw: [1, 0.5, 0.2, 0.4], map01: [0.5, 1])
        XCTAssertEqual(e, [0.5, 0.5, 0.1, 0.4])
        XCTAssertThrowsError(try maskedImage(chw: [1, 2, 3], map01: [1, 1]))
    }
}
