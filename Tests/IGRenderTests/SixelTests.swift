import Foundation
import IGImaging
import IGRender
import XCTest

/// The sixel encoder, checked by decoding its bytes back to pixels with the
/// small decoder below (written from the VT340 format description, not from
/// the encoder) and comparing with the picture.
final class SixelTests: XCTestCase {
    /// Decodes a DCS sixel string: colour definitions `#i;2;r;g;b` (percent),
    /// selections `#i`, repeats `!n`, `$` (back to the band's start), `-`
    /// (next band), sixel characters 0x3F...0x7E. Unpainted pixels stay nil.
    func decode(_ bytes: [UInt8]) throws -> (width: Int, height: Int, pixels: [[UInt8]?]) {
        let s = Array(bytes)
        guard s.count > 4, s[0] == 0x1B, s[1] == UInt8(ascii: "P") else { throw NSError(domain: "sixel", code: 1) }
        var i = 2
        while i < s.count && s[i] != UInt8(ascii: "q") { i += 1 }
        i += 1
        func number() -> Int {
            var v = 0
            while i < s.count, (48...57).contains(s[i]) { v = v * 10 + Int(s[i] - 48); i += 1 }
            return v
        }
        var width = 0, height = 0
        if i < s.count, s[i] == UInt8(ascii: "\"") {
            i += 1
            _ = number(); i += 1; _ = number(); i += 1
            width = number(); i += 1; height = number()
        }
        var regs = [Int: [UInt8]]()
        var px = [[UInt8]?](repeating: nil, count: width * height)
        var cur = 0, x = 0, band = 0
        while i < s.count {
            let c = s[i]
            if c == 0x1B { break }
            if c == UInt8(ascii: "#") {
                i += 1
                let n = number()
                if i < s.count, s[i] == UInt8(ascii: ";") {
                    i += 1; let kind = number(); i += 1
                    let a = number(); i += 1; let b = number(); i += 1; let d = number()
                    XCTAssertEqual(kind, 2, "RGB colours")
                    regs[n] = [a, b, d].map { UInt8(($0 * 255 + 50) / 100) }
                }
                cur = n
                continue
            }
            var rep = 1
            if c == UInt8(ascii: "!") { i += 1; rep = number() }
            let ch = s[i]
            i += 1
            switch ch {
            case UInt8(ascii: "$"): x = 0
            case UInt8(ascii: "-"): x = 0; band += 1
            case 0x3F...0x7E:
                let bits = Int(ch) - 63
                for _ in 0..<rep {
                    for r in 0..<6 where bits & (1 << r) != 0 {
                        let y = band * 6 + r
                        if x < width && y < height { px[y * width + x] = regs[cur] }
                    }
                    x += 1
                }
            default: break
            }
        }
        return (width, height, px)
    }

    func psnr(_ a: RGBImage, _ px: [[UInt8]?]) -> Double {
        var se = 0.0
        for i in 0..<(a.width * a.height) {
            let q = px[i] ?? [0, 0, 0]
            for c in 0..<3 { let d = Double(a.pixels[3 * i + c]) - Double(q[c]); se += d * d }
        }
        let mse = se / Double(3 * a.width * a.height)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    func testBundledPhotoRoundTrips() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/assets/photos/cat.png"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no bundled photo \(path)") }
        // The viewer's overlay of a map on the photo, at a panel's pixel size.
        let photo = resizeBilinear(try loadImage(path: path), width: 320, height: 213)
        let pic = overlay(image: photo, map: [0, 1, 2, 5, 9, 4, 1, 0, 0], mapWidth: 3, mapHeight: 3, colorMap: .jet, opacity: 0.5)
        let bytes = try sixelEncode(pic)
        let d = try decode(bytes)
        XCTAssertEqual(d.width, 320); XCTAssertEqual(d.height, 213)
        XCTAssertTrue(d.pixels.allSatisfy { $0 != nil }, "every pixel painted")
        let q = psnr(pic, d.pixels)
        XCTAssertGreaterThan(q, 30, "256 fitted colours (percent-quantised registers)")
        // Fewer colours are worse, but still a picture.
        let q16 = psnr(pic, try decode(try sixelEncode(pic, colors: 16)).pixels)
        XCTAssertLessThan(q16, q)
        XCTAssertGreaterThan(q16, 20)
        // One pass per colour per band: a photo with 256 colours costs about 1.3 bytes a pixel.
        XCTAssertLessThan(bytes.count, 2 * 320 * 213)
        print(String(format: "SIXEL cat 320x213: %d bytes, PSNR %.1f dB (256 colours), %.1f dB (16)", bytes.count, q, q16))
    }

    func testExactColoursAndOddHeight() throws {
        // Four flat colours, 7 rows (a band and a one-row band), runs long and short.
        var img = RGBImage(width: 9, height: 7)
        let cols: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
        for y in 0..<7 { for x in 0..<9 { img.setPixel(x: x, y: y, cols[(x / 3 + y / 2) % 4]) } }
        let d = try decode(try sixelEncode(img))
        XCTAssertEqual(d.width, 9); XCTAssertEqual(d.height, 7)
        XCTAssertEqual(psnr(img, d.pixels), .infinity, "0 and 100 percent are exact")
        XCTAssertThrowsError(try sixelEncode(RGBImage(width: 0, height: 0)))
    }
}
