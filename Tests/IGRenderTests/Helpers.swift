import Foundation
import XCTest
import IGImaging
@testable import IGRender

/// Test images stored as raw RGB `NAME_WxH.rgb` (written by tools/make_render_images.py).
enum Fixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/render")

    static func load(_ name: String) throws -> RGBImage {
        try loadRGB(dir.appendingPathComponent(name))
    }

    static func loadRGB(_ url: URL) throws -> RGBImage {
        let stem = url.deletingPathExtension().lastPathComponent
        guard let dims = stem.split(separator: "_").last?.split(separator: "x"), dims.count == 2,
              let w = Int(dims[0]), let h = Int(dims[1]) else {
            throw NSError(domain: "Fixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path): name must end in _WxH.rgb"])
        }
        let data = try Data(contentsOf: url)
        guard data.count == w * h * 3 else {
            throw NSError(domain: "Fixtures", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(url.path): \(data.count) bytes, expected \(w * h * 3)"])
        }
        return RGBImage(width: w, height: h, pixels: [UInt8](data))
    }
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 { s ^= s >> 12; s ^= s << 25; s ^= s >> 27; return s &* 2685821657736338717 }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 40) }
}

/// Squared error of painting the 64 samples `px` (8x8, RGB Double) with glyph
/// mask `mask` in colours fg/bg, by direct summation.
func maskError(_ px: [Double], _ mask: UInt64, _ fg: (Double, Double, Double), _ bg: (Double, Double, Double)) -> Double {
    var e = 0.0
    for i in 0..<64 {
        let c = (mask >> UInt64(i)) & 1 == 1 ? fg : bg
        let dr = px[3 * i] - c.0, dg = px[3 * i + 1] - c.1, db = px[3 * i + 2] - c.2
        e += dr * dr + dg * dg + db * db
    }
    return e
}

/// Mean colour of the samples where `mask` is `on`.
func maskMean(_ px: [Double], _ mask: UInt64, on: Bool) -> (Double, Double, Double)? {
    var s = (0.0, 0.0, 0.0), n = 0.0
    for i in 0..<64 where ((mask >> UInt64(i)) & 1 == 1) == on {
        s.0 += px[3 * i]; s.1 += px[3 * i + 1]; s.2 += px[3 * i + 2]; n += 1
    }
    return n == 0 ? nil : (s.0 / n, s.1 / n, s.2 / n)
}

/// Every glyph shape of the Block Elements set, by brute-force enumeration of
/// the 8x8 masks (independent of the renderer's split arithmetic).
let allBlockGlyphs: [Unicode.Scalar] = [" "] + (0x2580...0x259F).filter { !(0x2591...0x2593).contains($0) }.map { Unicode.Scalar($0)! }

/// A reference half-block render with nearest-colour quantisation done naively
/// (brute force over the 240 fixed xterm colours) after fitting in RGB.
func naiveHalfBlock256(_ image: RGBImage, columns: Int, rows: Int) -> CellGrid {
    var g = render(image, columns: columns, rows: rows, glyphs: .halfBlocks, mode: .truecolor)
    let pal = (16..<256).map { Palette.xtermColor($0) }
    func q(_ c: RGB) -> RGB {
        var best = pal[0], bd = Int.max
        for p in pal {
            let d = (Int(p.r) - Int(c.r)) * (Int(p.r) - Int(c.r)) + (Int(p.g) - Int(c.g)) * (Int(p.g) - Int(c.g)) + (Int(p.b) - Int(c.b)) * (Int(p.b) - Int(c.b))
            if d < bd { bd = d; best = p }
        }
        return best
    }
    for i in g.cells.indices { g.cells[i].fg = q(g.cells[i].fg); g.cells[i].bg = q(g.cells[i].bg) }
    return g
}

/// PSNR of a grid against the image it was rendered from, at 8x16 pixels per cell.
func gridPSNR(_ grid: CellGrid, _ image: RGBImage) -> Double {
    let ref = renderReference(image, width: grid.width * 8, height: grid.height * 16)
    return psnr(decode(grid, subWidth: 8, subHeight: 16), ref)
}
