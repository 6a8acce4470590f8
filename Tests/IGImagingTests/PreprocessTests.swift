import XCTest
@testable import IGImaging

final class PreprocessTests: XCTestCase {
    let mean: [Float] = [0.485, 0.456, 0.406]
    let std: [Float] = [0.229, 0.224, 0.225]

    func testStretchMatchesTorch() throws {
        let img = try loadImage(path: fixture("photo.png"))
        for (h, w) in [(17, 29), (31, 45)] {
            let exp = try readNPY(path: fixture("photo_stretch_\(h)x\(w).npy"))
            XCTAssertEqual(exp.shape, [3, h, w])
            let got = preprocess(img, height: h, width: w, mode: .stretch, mean: mean, std: std)
            XCTAssertEqual(got.count, 3 * h * w)
            XCTAssertLessThan(maxAbsDiff(got, exp.data), 2e-6, "\(h)x\(w)")
        }
    }

    func testCropMatchesTorch() throws {
        let img = try loadImage(path: fixture("photo.png"))
        for (h, w) in [(16, 16), (32, 32), (20, 12)] {
            let exp = try readNPY(path: fixture("photo_crop_\(h)x\(w).npy"))
            XCTAssertEqual(exp.shape, [3, h, w])
            let got = preprocess(img, height: h, width: w, mode: .crop, mean: mean, std: std)
            XCTAssertLessThan(maxAbsDiff(got, exp.data), 2e-6, "\(h)x\(w)")
        }
    }

    /// Geometry by hand: 37x23 to 16x16 -> shorter side 23 -> 16, longer round(37*16/23 = 25.74) = 26, offset (26-16)/2 = 5.
    func testCropGeometry() {
        let g = cropGeometry(imageWidth: 37, imageHeight: 23, width: 16, height: 16)
        XCTAssertEqual(g, CropGeometry(resizedWidth: 26, resizedHeight: 16, offsetX: 5, offsetY: 0, width: 16, height: 16, imageWidth: 37, imageHeight: 23))
        let r = g.sourceRect
        XCTAssertEqual(r.x, 5 * 37.0 / 26, accuracy: 1e-12)
        XCTAssertEqual(r.y, 0)
        XCTAssertEqual(r.width, 16 * 37.0 / 26, accuracy: 1e-12)
        XCTAssertEqual(r.height, 23)
        // Portrait 300x500 to 224: width -> 224, height round(500*224/300 = 373.33) = 373, offset (373-224)/2 = 74.
        let p = cropGeometry(imageWidth: 300, imageHeight: 500, width: 224, height: 224)
        XCTAssertEqual([p.resizedWidth, p.resizedHeight, p.offsetX, p.offsetY], [224, 373, 0, 74])
        // Half rounds up: 3x2 to 2x2 -> 3*2/2 = 3 exactly; 5x2 to 3x3 -> 5*3/2 = 7.5 -> 8.
        let q = cropGeometry(imageWidth: 5, imageHeight: 2, width: 3, height: 3)
        XCTAssertEqual([q.resizedWidth, q.resizedHeight, q.offsetX, q.offsetY], [8, 3, 2, 0])
    }

    /// An image already at the input size is only normalised.
    func testNoResampleAtInputSize() throws {
        let img = try loadImage(path: fixture("photo.png"))
        for mode in ResizeMode.allCases {
            let got = preprocess(img, height: 23, width: 37, mode: mode, mean: mean, std: std)
            for c in 0..<3 {
                for y in [0, 11, 22] {
                    for x in [0, 17, 36] {
                        let v = Float(img.pixels[3 * (y * 37 + x) + c]) / 255
                        XCTAssertEqual(got[c * 23 * 37 + y * 37 + x], (v - mean[c]) / std[c])
                    }
                }
            }
        }
    }

    func testUpsampleMatchesTorch() throws {
        let m = try readNPY(path: fixture("map_5x7.npy"))
        XCTAssertEqual(m.shape, [5, 7])
        for (h, w) in [(23, 37), (3, 4)] {
            let exp = try readNPY(path: fixture("map_5x7_to_\(h)x\(w).npy"))
            let got = upsampleBilinear(m.data, height: 5, width: 7, toHeight: h, toWidth: w)
            XCTAssertEqual(got.count, h * w)
            XCTAssertLessThan(maxAbsDiff(got, exp.data), 2e-6, "\(h)x\(w)")
        }
        XCTAssertEqual(upsampleBilinear(m.data, height: 5, width: 6, toHeight: 9, toWidth: 9), [])
    }

    func testBadArgumentsDoNotCrash() throws {
        let img = try loadImage(path: fixture("photo.png"))
        XCTAssertEqual(preprocess(img, height: 0, width: 5, mode: .crop, mean: mean, std: std), [])
        let single = preprocess(img, height: 4, width: 4, mode: .stretch, mean: [0.5], std: [])
        let ref = preprocess(img, height: 4, width: 4, mode: .stretch, mean: [0.5, 0.5, 0.5], std: [1, 1, 1])
        XCTAssertEqual(single, ref)
    }
}
