import IGImaging

/// Paints `grid` back into pixels, `subWidth` x `subHeight` pixels per cell,
/// using each glyph's coverage (sampled at sub-pixel centres on the glyph's
/// 8x8 mask). Glyphs of unknown shape (see `undecodableGlyphs`) are painted
/// as background, as for thin letter-like ink. Non-positive sizes give an
/// empty image.
public func decode(_ grid: CellGrid, subWidth: Int, subHeight: Int) -> RGBImage {
    guard subWidth > 0, subHeight > 0, grid.width > 0, grid.height > 0 else { return RGBImage(width: 0, height: 0, pixels: []) }
    let w = grid.width * subWidth, h = grid.height * subHeight
    var px = [UInt8](repeating: 0, count: w * h * 3)
    let mx = (0..<subWidth).map { (2 * $0 + 1) * 8 / (2 * subWidth) }
    let my = (0..<subHeight).map { (2 * $0 + 1) * 8 / (2 * subHeight) }
    var cache: [Unicode.Scalar: Mask] = [:]
    for cy in 0..<grid.height {
        for cx in 0..<grid.width {
            let cell = grid.cells[cy * grid.width + cx]
            let mask: Mask
            if let m = cache[cell.glyph] { mask = m } else { mask = coverageMask(cell.glyph) ?? 0; cache[cell.glyph] = mask }
            for y in 0..<subHeight {
                let row = ((cy * subHeight + y) * w + cx * subWidth) * 3
                for x in 0..<subWidth {
                    let on = (mask >> Mask(my[y] * 8 + mx[x])) & 1 == 1
                    let c = on ? cell.fg : cell.bg
                    px[row + 3 * x] = c.r; px[row + 3 * x + 1] = c.g; px[row + 3 * x + 2] = c.b
                }
            }
        }
    }
    return RGBImage(width: w, height: h, pixels: px)
}

/// Number of cells whose glyph shape IGRender does not know (decoded as
/// background by `decode`).
public func undecodableGlyphs(_ grid: CellGrid) -> Int {
    grid.cells.reduce(0) { $0 + (coverageMask($1.glyph) == nil ? 1 : 0) }
}

/// Peak signal-to-noise ratio in dB between two images of the same size,
/// over all pixels and channels (peak 255). `.infinity` for identical
/// images, `.nan` when the sizes differ or the images are empty.
public func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
    guard a.width == b.width, a.height == b.height, !a.pixels.isEmpty, a.pixels.count == b.pixels.count else { return .nan }
    var se = 0.0
    for i in 0..<a.pixels.count {
        let d = Double(a.pixels[i]) - Double(b.pixels[i])
        se += d * d
    }
    if se == 0 { return .infinity }
    let mse = se / Double(a.pixels.count)
    return 10 * log10(255 * 255 / mse)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
