import IGEngine
@testable import IGExplain
import IGModel
import XCTest

/// y(x) and y(x') for the viewer's completeness line, against inputs built by hand.
final class PathScoresTests: XCTestCase {
    func testScoresOfImageAndBaselines() throws {
        let model = SensitivityDemo.convModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let n = model.preprocessing.height * model.preprocessing.width
        for c in 0..<model.classCount {
            // Black: every pixel 0 before normalisation.
            let black = try ex.pathScores(classIndex: c, baseline: .black)
            let y0 = try model.engine.forward(model.normalize([Float](repeating: 0, count: 3 * n))).data[c]
            let y = try model.engine.forward(model.normalize(SensitivityDemo.image)).data[c]
            XCTAssertEqual(black.image, y, accuracy: 1e-6)
            XCTAssertEqual(black.baseline, y0, accuracy: 1e-6)
            // Mean: each channel at the model's mean colour, i.e. 0 after normalisation.
            let mean = try ex.pathScores(classIndex: c, baseline: .mean)
            let z = try model.engine.forward(Tensor(shape: [1, 3, model.preprocessing.height, model.preprocessing.width],
                                                    data: [Float](repeating: 0, count: 3 * n))).data[c]
            XCTAssertEqual(mean.baseline, z, accuracy: 1e-5)
        }
        XCTAssertNotEqual(try ex.pathScores(classIndex: 0, baseline: .black).image,
                          try ex.pathScores(classIndex: 0, baseline: .black).baseline, "the image is not the baseline")
        XCTAssertThrowsError(try ex.pathScores(classIndex: model.classCount, baseline: .black))
    }
}
