import XCTest
@testable import IGImaging

final class DisplayResizeTests: XCTestCase {
    /// Halving is exactly the mean of each 2x2 block (area averaging).
    func testHalvingAveragesBlocks() throws {
        let img = try loadImage(path: fixture("photo.jpg")) // 64x48
        let half = resizeBilinear(img, width: 32, height: 24)
        for (x, y) in [(0, 0), (5, 7), (31, 23), (17, 11)] {
            for c in 0..<3 {
                var s = 0
                for dy in 0..<2 { for dx in 0..<2 { s += Int(img.pixels[3 * ((2 * y + dy) * 64 + 2 * x + dx) + c]) } }
                let exp = (Double(s) / 4).rounded()
                XCTAssertEqual(Double(half.pixels[3 * (y * 32 + x) + c]), exp, accuracy: 1 + 1e-9, "\(x),\(y),\(c)")
            }
        }
    }

    /// Doubling: half-pixel bilinear, output (1,*) = 0.75*src0 + 0.25*src1 (PyTorch align_corners=False), edges copied.
    func testDoublingIsHalfPixelBilinear() {
        let img = RGBImage(width: 2, height: 1, pixels: [0, 100, 200, 200, 20, 40])
        let big = resizeBilinear(img, width: 4, height: 1)
        XCTAssertEqual(Array(big.pixels[0..<3]), [0, 100, 200])
        XCTAssertEqual(Array(big.pixels[3..<6]), [50, 80, 160])  // 0.75*a + 0.25*b
        XCTAssertEqual(Array(big.pixels[6..<9]), [150, 40, 80])
        XCTAssertEqual(Array(big.pixels[9..<12]), [200, 20, 40])
    }
}
