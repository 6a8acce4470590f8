import XCTest
import Dispatch
@testable import IGImaging

final class PreprocessTests: XCTestCase {
    let mean: [Float] = [0.485, 0.456, 0.406]
    let std: [Float] = [0.229, 0.224, 0.225]

    /// torch's generic kernel (output H+W > 128) must be matched bit for bit;
    /// its channels-last kernel (small outputs) within a few ulps.
    func assertTorch(_ got: [Float], _ exp: [Float], _ h: Int, _ w: Int, line: UInt = #line) {
        XCTAssertEqual(got.count, exp.count, line: line)
        if h + w > 128 {
            XCTAssertEqual(got, exp, "\(h)x\(w) not bit-identical, max diff \(maxAbsDiff(got, exp))", line: line)
        } else {
            XCTAssertLessThan(maxAbsDiff(got, exp), 2e-6, "\(h)x\(w)", line: line)
        }
    }

    func testStretchMatchesTorch() throws {
        let img = try loadImage(path: fixture("photo.png"))
        for (h, w) in [(17, 29), (31, 45), (100, 29)] {
            let exp = try readNPY(path: fixture("photo_stretch_\(h)x\(w).npy"))
            XCTAssertEqual(exp.shape, [3, h, w])
            let got = preprocess(img, height: h, width: w, mode: .stretch, mean: mean, std: std)
            XCTAssertEqual(got.count, 3 * h * w)
            assertTorch(got, exp.data, h, w)
            print("stretch \(h)x\(w): max |swift - torch| = \(maxAbsDiff(got, exp.data))")
        }
    }

    func testCropMatchesTorch() throws {
        let img = try loadImage(path: fixture("photo.png"))
        for (h, w) in [(16, 16), (32, 32), (20, 12), (100, 30)] {
            let exp = try readNPY(path: fixture("photo_crop_\(h)x\(w).npy"))
            XCTAssertEqual(exp.shape, [3, h, w])
            let got = preprocess(img, height: h, width: w, mode: .crop, mean: mean, std: std)
            assertTorch(got, exp.data, h, w)
            print("crop \(h)x\(w): max |swift - torch| = \(maxAbsDiff(got, exp.data))")
        }
    }

    /// Crop geometry for the tall target: 37x23 to 30 wide x 100 high -> height 100, width round(37*100/23 = 160.87) = 161, offset (161-30)/2 = 65.
    func testTallCropGeometry() {
        let g = cropGeometry(imageWidth: 37, imageHeight: 23, width: 30, height: 100)
        XCTAssertEqual([g.resizedWidth, g.resizedHeight, g.offsetX, g.offsetY], [161, 100, 65, 0])
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
        for (h, w) in [(23, 37), (3, 4), (64, 80)] {
            let exp = try readNPY(path: fixture("map_5x7_to_\(h)x\(w).npy"))
            let got = upsampleBilinear(m.data, height: 5, width: 7, toHeight: h, toWidth: w)
            XCTAssertEqual(got.count, h * w)
            assertTorch(got, exp.data, h, w)
            print("upsample 5x7->\(h)x\(w): max |swift - torch| = \(maxAbsDiff(got, exp.data))")
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

final class PreprocessTimingTests: XCTestCase {
    /// Times preprocess (500x375 -> 224x224 crop), CAM upsample 7x7 -> 375x500, and overlay at 500x375.
    func testTiming() throws {
        let img = resizeBilinear(try loadImage(path: fixture("photo.jpg")), width: 500, height: 375)
        var seed: UInt32 = 1
        let cam: [Float] = (0..<49).map { _ in seed = seed &* 1664525 &+ 1013904223; return Float(seed >> 8) / Float(1 << 24) }
        func ms(_ body: () -> Void) -> Double {
            var t: [Double] = []
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds; body()
                t.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            return t.sorted()[2]
        }
        var x: [Float] = []
        let tp = ms { x = preprocess(img, height: 224, width: 224, mode: .crop, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]) }
        XCTAssertEqual(x.count, 3 * 224 * 224)
        let tu = ms { x = upsampleBilinear(cam, height: 7, width: 7, toHeight: 375, toWidth: 500) }
        XCTAssertEqual(x.count, 375 * 500)
        var o = img
        let to = ms { o = overlay(image: img, map: cam, mapWidth: 7, mapHeight: 7, colorMap: .jet, opacity: 0.5) }
        XCTAssertNotEqual(o, img)
        print("timing medians: preprocess crop 500x375->224 \(tp) ms, upsample 7x7->375x500 \(tu) ms, overlay 500x375 \(to) ms")
    }
}
