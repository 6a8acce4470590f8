import XCTest
@testable import IGImaging

final class OverlayTests: XCTestCase {
    func testNormalizeMinMax() {
        XCTAssertEqual(normalizeMinMax([2, 4, 3, 6]), [0, 0.5, 0.25, 1])
        XCTAssertEqual(normalizeMinMax([3, 3, 3]), [0, 0, 0])
        XCTAssertEqual(normalizeMinMax([1, .nan, 5, .infinity]), [0, 0, 1, 0])
        XCTAssertEqual(normalizeMinMax([]), [])
    }

    /// 2x1 map [low, high] over a 4x1 image: upsampled [0, .25, .75, 1] -> viridis entries 0, 64, 192, 255,
    /// blended 0.6*colour + 0.4*image.
    func testBlendByHand() {
        let img = RGBImage(width: 4, height: 1, pixels: [10, 20, 30, 200, 100, 0, 255, 255, 255, 0, 0, 0])
        let out = overlay(image: img, map: [-3, 5], mapWidth: 2, mapHeight: 1, colorMap: .viridis, opacity: 0.6)
        let idx = [0, 64, 192, 255]
        for x in 0..<4 {
            let c = ColorMap.viridis.color(Float(idx[x]) / 255)
            let cs = [c.0, c.1, c.2]
            for k in 0..<3 {
                let exp = (0.4 * Double(img.pixels[3 * x + k]) + 0.6 * Double(cs[k])).rounded()
                XCTAssertEqual(Double(out.pixels[3 * x + k]), exp, accuracy: 1, "x \(x) ch \(k)")
            }
        }
        XCTAssertTrue(ColorMap.viridis.color(Float(64) / 255) == (viridisTable[192], viridisTable[193], viridisTable[194]))
    }

    func testFlatMapDrawsAsZeroAndOpacityEnds() throws {
        let img = try loadImage(path: fixture("photo.png"))
        let flat = overlay(image: img, map: [7, 7, 7, 7], mapWidth: 2, mapHeight: 2, colorMap: .jet, opacity: 1)
        for i in 0..<(img.width * img.height) { XCTAssertTrue((flat.pixels[3 * i], flat.pixels[3 * i + 1], flat.pixels[3 * i + 2]) == (0, 0, 127)) }
        let none = overlay(image: img, map: [1, 2, 3, 4], mapWidth: 2, mapHeight: 2, colorMap: .jet, opacity: 0)
        XCTAssertEqual(none, img)
        XCTAssertEqual(overlay(image: img, map: [1, 2, 3], mapWidth: 2, mapHeight: 2, colorMap: .jet, opacity: 0.5), img)
    }
}
