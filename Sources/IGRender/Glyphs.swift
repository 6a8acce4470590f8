/// Which glyphs `render` may use.
public enum GlyphSet: String, Sendable, CaseIterable {
    /// Only the upper half block ▀ (fg = top half, bg = bottom half).
    case halfBlocks
    /// The Block Elements U+2580...U+259F that have exact coverage (half
    /// blocks, lower and left eighths, quadrants) plus space. Every monospace
    /// font has them. Complementary glyphs (▀/▄, ▌/▐, ▘/▟, ...) split a cell
    /// the same way, so only one of each pair is emitted.
    case blocks
}

/// A glyph's coverage on an 8x8 sub-cell grid: bit `y * 8 + x` set where the
/// glyph draws in the foreground colour (row 0 = top).
typealias Mask = UInt64

enum MaskShape {
    static func rows(_ r: Range<Int>) -> Mask {
        var m: Mask = 0
        for y in r { m |= Mask(0xFF) << Mask(8 * y) }
        return m
    }
    static func cols(_ c: Range<Int>) -> Mask {
        var m: Mask = 0
        for y in 0..<8 { for x in c { m |= Mask(1) << Mask(8 * y + x) } }
        return m
    }
    /// Quadrant bits: 1 upper-left, 2 upper-right, 4 lower-left, 8 lower-right.
    static func quads(_ q: Int) -> Mask {
        var m: Mask = 0
        if q & 1 != 0 { m |= rows(0..<4) & cols(0..<4) }
        if q & 2 != 0 { m |= rows(0..<4) & cols(4..<8) }
        if q & 4 != 0 { m |= rows(4..<8) & cols(0..<4) }
        if q & 8 != 0 { m |= rows(4..<8) & cols(4..<8) }
        return m
    }
    static func pattern(_ f: (Int, Int) -> Bool) -> Mask {
        var m: Mask = 0
        for y in 0..<8 { for x in 0..<8 where f(x, y) { m |= Mask(1) << Mask(8 * y + x) } }
        return m
    }
}

/// Coverage of a glyph, or nil if IGRender does not know its shape.
/// Knows space, the whole Block Elements block (shades as regular dither
/// patterns of 1/4, 1/2, 3/4) and, approximately, the Box Drawing block
/// U+2500...U+257F (see BoxDrawing.swift).
func coverageMask(_ s: Unicode.Scalar) -> Mask? {
    let v = s.value
    switch v {
    case 0x20, 0xA0, 0x3000: return 0
    case 0x2580: return MaskShape.rows(0..<4)
    case 0x2581...0x2588: let n = Int(v - 0x2580); return MaskShape.rows((8 - n)..<8)
    case 0x2589...0x258F: let n = 8 - Int(v - 0x2588); return MaskShape.cols(0..<n)
    case 0x2590: return MaskShape.cols(4..<8)
    case 0x2591: return MaskShape.pattern { x, y in x % 2 == 0 && (y % 2 == 0 ? x % 4 == 0 : x % 4 == 2) }
    case 0x2592: return MaskShape.pattern { x, y in (x + y) % 2 == 0 }
    case 0x2593: return ~MaskShape.pattern { x, y in x % 2 == 0 && (y % 2 == 0 ? x % 4 == 0 : x % 4 == 2) }
    case 0x2594: return MaskShape.rows(0..<1)
    case 0x2595: return MaskShape.cols(7..<8)
    case 0x2596...0x259F:
        let q: [Int] = [4, 8, 1, 1 | 4 | 8, 1 | 8, 1 | 2 | 4, 1 | 2 | 8, 2, 2 | 4, 2 | 4 | 8]
        return MaskShape.quads(q[Int(v - 0x2596)])
    case 0x2500...0x257F: return boxDrawingMask(s)
    default: return nil
    }
}

/// How a candidate splits the cell; `render` computes covered sums from
/// per-cell row, column and quadrant sums instead of looping over the mask.
enum Split {
    case uniform
    case topRows(Int)
    case bottomRows(Int)
    case leftCols(Int)
    case quads(Int)
}

struct Candidate {
    let glyph: Unicode.Scalar
    let split: Split
}

extension GlyphSet {
    var candidates: [Candidate] {
        switch self {
        case .halfBlocks:
            return [Candidate(glyph: "\u{2580}", split: .topRows(4))]
        case .blocks:
            // Order matters only for ties: simpler glyphs first.
            var c: [Candidate] = [
                Candidate(glyph: " ", split: .uniform),
                Candidate(glyph: "\u{2584}", split: .bottomRows(4)),
                Candidate(glyph: "\u{258C}", split: .leftCols(4)),
                Candidate(glyph: "\u{2598}", split: .quads(1)),
                Candidate(glyph: "\u{259D}", split: .quads(2)),
                Candidate(glyph: "\u{2596}", split: .quads(4)),
                Candidate(glyph: "\u{2597}", split: .quads(8)),
                Candidate(glyph: "\u{259A}", split: .quads(1 | 8)),
            ]
            for n in [1, 2, 3, 5, 6, 7] {
                c.append(Candidate(glyph: Unicode.Scalar(0x2580 + UInt32(n))!, split: .bottomRows(n)))
                c.append(Candidate(glyph: Unicode.Scalar(0x2588 + UInt32(8 - n))!, split: .leftCols(n)))
            }
            return c
        }
    }
}
