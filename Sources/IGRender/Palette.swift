import IGImaging

/// An error building a palette.
public struct PaletteError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A set of terminal colours at consecutive colour numbers
/// `firstIndex ..< firstIndex + colors.count`.
///
/// Colours are matched in plain RGB (squared Euclidean distance). That is the
/// metric PSNR measures, and with it the nearest palette colour to the mean of
/// a glyph's pixels is also the exact least-squares choice for those pixels,
/// so `render` picks glyph and colours jointly and exactly.
public struct Palette: Sendable, Equatable {
    /// The colours, in colour-number order.
    public let colors: [RGB]
    /// The terminal colour number of `colors[0]`.
    public let firstIndex: Int
    private let lookup: NearestLookup
    var lookupTable: NearestLookup { lookup }

    /// A palette of 1...256 colours starting at colour number `firstIndex`.
    /// Throws if the colours do not fit in colour numbers 0...255.
    public init(colors: [RGB], firstIndex: Int = 16) throws {
        guard !colors.isEmpty else { throw PaletteError(description: "Palette: no colours") }
        guard firstIndex >= 0, firstIndex + colors.count <= 256 else {
            throw PaletteError(description: "Palette: \(colors.count) colours from number \(firstIndex) do not fit in 0...255")
        }
        self.colors = colors
        self.firstIndex = firstIndex
        self.lookup = NearestLookup(table: colors)
    }

    private init(xterm: Void) {
        var c: [RGB] = []
        for i in 16..<256 { c.append(Palette.xtermColor(i)) }
        colors = c
        firstIndex = 16
        lookup = NearestLookup(xterm: ())
    }

    public static func == (a: Palette, b: Palette) -> Bool {
        a.colors == b.colors && a.firstIndex == b.firstIndex
    }

    /// The 240 fixed xterm colours 16...255: the 6x6x6 cube and 24 greys.
    public static let xterm240 = Palette(xterm: ())
    /// The 16 ANSI colours with xterm's default values.
    public static let ansi16 = try! Palette(colors: (0..<16).map { xtermColor($0) }, firstIndex: 0)
    /// The 8 basic ANSI colours with xterm's default values.
    public static let ansi8 = try! Palette(colors: (0..<8).map { xtermColor($0) }, firstIndex: 0)

    /// The RGB value of xterm colour number `index` (0...255; others clamp).
    /// 0...15 are xterm's defaults, 16...231 the cube with levels
    /// 0, 95, 135, 175, 215, 255, 232...255 the greys 8, 18, ..., 238.
    public static func xtermColor(_ index: Int) -> RGB {
        let i = min(max(index, 0), 255)
        let basic: [(UInt8, UInt8, UInt8)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if i < 16 { let c = basic[i]; return RGB(c.0, c.1, c.2) }
        if i >= 232 { let v = UInt8(8 + 10 * (i - 232)); return RGB(v, v, v) }
        let levels: [UInt8] = [0, 95, 135, 175, 215, 255]
        let j = i - 16
        return RGB(levels[j / 36], levels[(j / 6) % 6], levels[j % 6])
    }

    /// `colors[i]` as ncurses `init_extended_color` components (0...1000),
    /// `ceil(v * 1000 / 255)`, which survives the conversion back to 8 bits
    /// (`c * 255 / 1000`, truncating) unchanged.
    public func cursesComponents(_ i: Int) -> (r: Int, g: Int, b: Int) {
        let c = colors[min(max(i, 0), colors.count - 1)]
        func f(_ v: UInt8) -> Int { (Int(v) * 1000 + 254) / 255 }
        return (f(c.r), f(c.g), f(c.b))
    }

    /// Index into `colors` of the colour nearest to (r, g, b) (0...255 scale)
    /// in squared RGB distance: exact for the fixed palettes and palettes of up
    /// to 16 colours; for larger custom ones exact except where a colour's
    /// region touches a 4x4x4 bin without reaching its corners (rare, and then
    /// off by a fraction of a percent in squared distance).
    @inline(__always)
    public func nearest(_ r: Double, _ g: Double, _ b: Double) -> Int {
        lookup.nearest(r, g, b, colors)
    }

    /// A palette of up to `count` colours fitted to `image` by k-means
    /// (weighted Lloyd iterations on a 32x32x32 colour histogram, seeded
    /// deterministically by weighted farthest-point picking), for terminals
    /// whose colours can be redefined (`init_extended_color`).
    public static func kMeans(_ image: RGBImage, count: Int = 240, iterations: Int = 10, firstIndex: Int = 16) throws -> Palette {
        guard count >= 1 else { throw PaletteError(description: "Palette.kMeans: count must be >= 1, got \(count)") }
        guard image.width > 0, image.height > 0 else { throw PaletteError(description: "Palette.kMeans: empty \(image.width)x\(image.height) image") }
        // Histogram of 5-bit bins with colour sums.
        var n = [Double](repeating: 0, count: 32768)
        var s = [Double](repeating: 0, count: 32768 * 3)
        image.pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i + 2 < p.count {
                let r = Int(p[i]), g = Int(p[i + 1]), b = Int(p[i + 2])
                let bin = (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3)
                n[bin] += 1; s[3 * bin] += Double(r); s[3 * bin + 1] += Double(g); s[3 * bin + 2] += Double(b)
                i += 3
            }
        }
        var pts: [(Double, Double, Double)] = []
        var w: [Double] = []
        for bin in 0..<32768 where n[bin] > 0 {
            pts.append((s[3 * bin] / n[bin], s[3 * bin + 1] / n[bin], s[3 * bin + 2] / n[bin])); w.append(n[bin])
        }
        let k = min(count, pts.count)
        // Seeding: heaviest bin, then repeatedly the bin with the largest weight * d^2.
        var centres: [(Double, Double, Double)] = []
        var d2 = [Double](repeating: .infinity, count: pts.count)
        var first = 0
        for i in 1..<pts.count where w[i] > w[first] { first = i }
        centres.append(pts[first])
        while centres.count < k {
            let c = centres[centres.count - 1]
            var best = 0, bestScore = -1.0
            for i in 0..<pts.count {
                let dr = pts[i].0 - c.0, dg = pts[i].1 - c.1, db = pts[i].2 - c.2
                d2[i] = min(d2[i], dr * dr + dg * dg + db * db)
                let score = d2[i] * w[i]
                if score > bestScore { bestScore = score; best = i }
            }
            centres.append(pts[best])
        }
        // Lloyd iterations.
        var assign = [Int](repeating: 0, count: pts.count)
        for _ in 0..<max(0, iterations) {
            for i in 0..<pts.count {
                var bj = 0, bd = Double.infinity
                for j in 0..<k {
                    let dr = pts[i].0 - centres[j].0, dg = pts[i].1 - centres[j].1, db = pts[i].2 - centres[j].2
                    let d = dr * dr + dg * dg + db * db
                    if d < bd { bd = d; bj = j }
                }
                assign[i] = bj
            }
            var acc = [Double](repeating: 0, count: 4 * k)
            for i in 0..<pts.count {
                let j = assign[i]
                acc[4 * j] += w[i]; acc[4 * j + 1] += w[i] * pts[i].0; acc[4 * j + 2] += w[i] * pts[i].1; acc[4 * j + 3] += w[i] * pts[i].2
            }
            for j in 0..<k where acc[4 * j] > 0 {
                centres[j] = (acc[4 * j + 1] / acc[4 * j], acc[4 * j + 2] / acc[4 * j], acc[4 * j + 3] / acc[4 * j])
            }
        }
        let cols = centres.map { RGB(clamp8($0.0), clamp8($0.1), clamp8($0.2)) }
        return try Palette(colors: cols, firstIndex: firstIndex)
    }
}

@inline(__always)
func clamp8(_ v: Double) -> UInt8 {
    if !(v > 0) { return 0 }
    if v >= 255 { return 255 }
    return UInt8(v + 0.5)
}

/// Nearest-colour search. A 64x64x64 table holds, for every bin whose 8
/// corners share one nearest colour, that colour (Voronoi cells are convex,
/// so it is then nearest in the whole bin). Bins straddling a boundary hold
/// `ambiguous` (xterm: exact analytic fallback) or, for other palettes, a
/// reference to the colours to search at lookup: all of them for palettes of
/// up to 16 colours (exact), else the distinct nearest colours of the bin's
/// corners (exact unless a colour's cell touches the 4-unit bin without
/// reaching any of its corners).
final class NearestLookup: Sendable {   // every stored property is a let of a Sendable type
    static let ambiguous: UInt32 = 0x8000_0000
    let isXterm: Bool
    /// Entry < `ambiguous`: the colour index. Otherwise (custom palettes):
    /// `ambiguous | offset << 5 | count` into `candidates`.
    let table: [UInt32]
    let candidates: [UInt16]

    init(xterm: Void) {
        isXterm = true
        (table, candidates) = NearestLookup.build(keepCandidates: false) { NearestLookup.xtermNearest($0, $1, $2) }
    }

    init(table colors: [RGB]) {
        isXterm = false
        let cr = colors.map { Double($0.r) }, cg = colors.map { Double($0.g) }, cb = colors.map { Double($0.b) }
        (table, candidates) = NearestLookup.build(keepCandidates: true, searchAll: colors.count <= 16 ? colors.count : 0) { r, g, b in
            var best = 0, bd = Double.infinity
            for j in 0..<cr.count {
                let dr = r - cr[j], dg = g - cg[j], db = b - cb[j]
                let d = dr * dr + dg * dg + db * db
                if d < bd { bd = d; best = j }
            }
            return best
        }
    }

    /// `searchAll` > 0: ambiguous bins search all that many colours (exact;
    /// used for small palettes).
    private static func build(keepCandidates: Bool, searchAll: Int = 0, _ exact: (Double, Double, Double) -> Int) -> ([UInt32], [UInt16]) {
        var corner = [UInt16](repeating: 0, count: 65 * 65 * 65)
        for r in 0...64 { for g in 0...64 { for b in 0...64 {
            corner[(r * 65 + g) * 65 + b] = UInt16(exact(Double(4 * r), Double(4 * g), Double(4 * b)))
        }}}
        var t = [UInt32](repeating: ambiguous, count: 64 * 64 * 64)
        var cand: [UInt16] = searchAll > 0 ? (0..<searchAll).map { UInt16($0) } : []
        var set: [UInt16] = []
        for r in 0..<64 { for g in 0..<64 { for b in 0..<64 {
            set.removeAll(keepingCapacity: true)
            for d in 0..<8 {
                let c = corner[((r + (d & 1)) * 65 + g + ((d >> 1) & 1)) * 65 + b + (d >> 2)]
                if !set.contains(c) { set.append(c) }
            }
            if set.count == 1 {
                t[r << 12 | g << 6 | b] = UInt32(set[0])
            } else if keepCandidates && searchAll > 0 {
                t[r << 12 | g << 6 | b] = ambiguous | UInt32(searchAll)
            } else if keepCandidates {
                set.sort()
                t[r << 12 | g << 6 | b] = ambiguous | UInt32(cand.count) << 5 | UInt32(set.count)
                cand += set
            }
        }}}
        return (t, cand)
    }

    @inline(__always)
    func nearest(_ r: Double, _ g: Double, _ b: Double, _ colors: [RGB]) -> Int {
        let ri = min(max(Int(r) >> 2, 0), 63), gi = min(max(Int(g) >> 2, 0), 63), bi = min(max(Int(b) >> 2, 0), 63)
        let t = table[ri << 12 | gi << 6 | bi]
        if t < NearestLookup.ambiguous { return Int(t) }
        if isXterm { return NearestLookup.xtermNearest(r, g, b) }
        let off = Int((t & ~NearestLookup.ambiguous) >> 5), n = Int(t & 31)
        var best = 0, bd = Double.infinity
        for j in off..<(off + n) {
            let c = colors[Int(candidates[j])]
            let dr = r - Double(c.r), dg = g - Double(c.g), db = b - Double(c.b)
            let d = dr * dr + dg * dg + db * db
            if d < bd { bd = d; best = Int(candidates[j]) }
        }
        return best
    }

    /// Nearest cube level (0, 95, 135, 175, 215, 255); midpoints 47.5, 115, 155, 195, 235.
    @inline(__always)
    static func cubeLevel(_ v: Double) -> Int {
        // Branch-free: count the midpoints at or below v.
        (v >= 47.5 ? 1 : 0) + (v >= 115 ? 1 : 0) + (v >= 155 ? 1 : 0) + (v >= 195 ? 1 : 0) + (v >= 235 ? 1 : 0)
    }

    /// Exact nearest of the 240 colours (index into Palette.xterm240.colors).
    @inline(__always)
    static func xtermNearest(_ r: Double, _ g: Double, _ b: Double) -> Int {
        let li = cubeLevel(r), lj = cubeLevel(g), lk = cubeLevel(b)
        let dr = r - (li == 0 ? 0 : Double(55 + 40 * li)), dg = g - (lj == 0 ? 0 : Double(55 + 40 * lj)), db = b - (lk == 0 ? 0 : Double(55 + 40 * lk))
        let dCube = dr * dr + dg * dg + db * db
        // Nearest grey 8 + 10 i to the channel mean m: i = round((m - 8) / 10) = round((r + g + b - 24) / 30).
        let gi = min(23, max(0, Int((r + g + b - 24) * (1.0 / 30) + 0.5)))
        let gv = Double(8 + 10 * gi)
        let er = r - gv, eg = g - gv, eb = b - gv
        let dGrey = er * er + eg * eg + eb * eb
        return dGrey < dCube ? 216 + gi : li * 36 + lj * 6 + lk
    }
}
