import XCTest
import Foundation
@testable import IGImaging

final class PNGTests: XCTestCase {
    /// Every PNG flavour decodes to the RGB the fixture script computed independently
    /// (16 -> 8 bit rescale, alpha over white).
    func testVariantsMatchExpected() throws {
        for name in ["grey1", "grey8", "grey16", "rgb8", "rgb16", "greyalpha8", "rgba8", "rgba16", "palette4"] {
            let img = try loadImage(path: fixture("png_\(name).png"))
            let exp = try readNPY(path: fixture("png_\(name)_expected.npy"))
            XCTAssertEqual(exp.shape, [6, 8, 3], name)
            XCTAssertEqual(img.width, 8, name); XCTAssertEqual(img.height, 6, name)
            let got = img.pixels.map(Float.init)
            XCTAssertLessThanOrEqual(maxAbsDiff(got, exp.data), 1, name)
            XCTAssertGreaterThan(Set(img.pixels).count, name == "grey1" ? 1 : 2, name) // not a flat image
        }
    }

    /// Fully transparent pixels (row 1 of the alpha fixtures) become white.
    func testTransparentIsWhite() throws {
        let img = try loadImage(path: fixture("png_rgba8.png"))
        for x in 0..<8 { XCTAssertTrue(img.pixel(x: x, y: 1) == (255, 255, 255)) }
    }

    func testSaveLoadRoundTrip() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let photo = try loadImage(path: fixture("photo.png"))
        XCTAssertEqual(photo.width, 37); XCTAssertEqual(photo.height, 23)
        let out = dir + "/again.png"
        try savePNG(photo, to: out)
        XCTAssertEqual(try loadImage(path: out), photo)
        XCTAssertEqual(listDir(dir), ["again.png"]) // no temp files left
    }

    /// A failed save leaves an existing file untouched and no temporary file.
    func testFailedSaveLeavesNothing() throws {
        let dir = makeTempDir(); defer { removeTree(dir) }
        let out = dir + "/keep.png"
        let photo = try loadImage(path: fixture("photo.png"))
        try savePNG(photo, to: out)
        XCTAssertThrowsError(try savePNG(RGBImage(width: 0, height: 0, pixels: []), to: out))
        XCTAssertEqual(try loadImage(path: out), photo)
        XCTAssertThrowsError(try savePNG(photo, to: dir + "/no-such-dir/x.png")) { e in
            XCTAssertTrue("\(e)".contains("no-such-dir/x.png"), "\(e)")
        }
        XCTAssertEqual(listDir(dir), ["keep.png"])
    }

    /// PNG write/read times for 224x224 and 512x512 photo-like images.
    func testTiming() throws {
        let photo = try loadImage(path: fixture("photo.jpg"))
        let dir = makeTempDir(); defer { removeTree(dir) }
        for side in [224, 512] {
            var img = resizeBilinear(photo, width: side, height: side)
            var seed: UInt32 = 12345
            for i in 0..<img.pixels.count { // mild noise so it compresses like a photo
                seed = seed &* 1664525 &+ 1013904223
                img.pixels[i] = UInt8(clamping: Int(img.pixels[i]) + Int(seed >> 30) - 2)
            }
            let path = dir + "/t\(side).png"
            var wt: [Double] = [], rt: [Double] = [], et: [Double] = []
            for _ in 0..<7 {
                let e0 = DispatchTime.now().uptimeNanoseconds
                _ = try encodePNG(img, path: path)
                et.append(Double(DispatchTime.now().uptimeNanoseconds - e0) / 1e6)
                let t0 = DispatchTime.now().uptimeNanoseconds
                try savePNG(img, to: path)
                let t1 = DispatchTime.now().uptimeNanoseconds
                let back = try loadImage(path: path)
                let t2 = DispatchTime.now().uptimeNanoseconds
                XCTAssertEqual(back, img)
                wt.append(Double(t1 - t0) / 1e6); rt.append(Double(t2 - t1) / 1e6)
            }
            wt.sort(); rt.sort(); et.sort()
            let size = (try readFileBytes(path)).count
            print("PNG \(side)x\(side) (\(size) bytes): savePNG median \(String(format: "%.2f", wt[3])) ms (encode only \(String(format: "%.2f", et[3])) ms), loadImage median \(String(format: "%.2f", rt[3])) ms")
        }
    }
}
