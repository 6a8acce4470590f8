import XCTest
@testable import IGImaging

final class JPEGTests: XCTestCase {
    /// Colour JPEG decodes like Pillow's libjpeg (same file; IDCT/upsampling may differ by a level or two).
    func testColourMatchesPillow() throws {
        let img = try loadImage(path: fixture("photo.jpg"))
        let exp = try readNPY(path: fixture("photo_jpg_pil.npy"))
        XCTAssertEqual(exp.shape, [img.height, img.width, 3])
        XCTAssertEqual(img.width, 64); XCTAssertEqual(img.height, 48)
        let got = img.pixels.map(Float.init)
        XCTAssertLessThanOrEqual(maxAbsDiff(got, exp.data), 3)
        let mean = zip(got, exp.data).map { abs($0 - $1) }.reduce(0, +) / Float(got.count)
        XCTAssertLessThan(mean, 0.5)
    }

    func testProgressiveMatchesPillow() throws {
        let img = try loadImage(path: fixture("progressive.jpg"))
        let exp = try readNPY(path: fixture("progressive_jpg_pil.npy"))
        XCTAssertEqual(exp.shape, [48, 64, 3])
        XCTAssertLessThanOrEqual(maxAbsDiff(img.pixels.map(Float.init), exp.data), 3)
    }

    func testErrorNamesFile() throws {
        let bytes = try readFileBytes(fixture("photo.jpg"))
        XCTAssertThrowsError(try decodeImage(Array(bytes[0..<900]), path: "/x/cut.jpg")) { e in
            XCTAssertEqual((e as? ImageError)?.kind, .truncated)
            XCTAssertTrue("\(e)".hasPrefix("/x/cut.jpg: truncated"), "\(e)")
        }
    }

    func testGreyBecomesRGB() throws {
        let img = try loadImage(path: fixture("grey.jpg"))
        let exp = try readNPY(path: fixture("grey_jpg_pil.npy"))
        XCTAssertEqual(exp.shape, [48, 64])
        for i in 0..<(img.width * img.height) {
            let (r, g, b) = (img.pixels[3 * i], img.pixels[3 * i + 1], img.pixels[3 * i + 2])
            XCTAssertTrue(r == g && g == b)
            XCTAssertLessThanOrEqual(abs(Float(r) - exp.data[i]), 2)
        }
    }

    /// CMYK (Pillow writes Adobe-inverted) -> RGB = (255-C)(255-K)/255.
    func testCMYK() throws {
        let img = try loadImage(path: fixture("cmyk.jpg"))
        let exp = try readNPY(path: fixture("cmyk_expected.npy"))
        XCTAssertEqual(exp.shape, [16, 64, 3])
        let got = img.pixels.map(Float.init)
        XCTAssertLessThanOrEqual(maxAbsDiff(got, exp.data), 8)
        // block centres, tighter
        for bx in 0..<4 {
            let i = 3 * (8 * 64 + 16 * bx + 8)
            for c in 0..<3 { XCTAssertLessThanOrEqual(abs(got[i + c] - exp.data[i + c]), 4, "block \(bx) ch \(c)") }
        }
    }
}
