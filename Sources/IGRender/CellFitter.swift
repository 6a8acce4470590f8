/// Chooses glyph and colours for one cell from its 8x8 samples.
///
/// Per cell it accumulates row, column and quadrant sums of (r, g, b,
/// r²+g²+b²); every candidate's covered sums then follow from a few
/// additions, so each candidate costs O(1) instead of O(64).
final class CellFitter {
    typealias V = SIMD4<Double>
    private let candidates: [Candidate]
    // Hot-loop copies of the palette (no reference counting per lookup).
    private let hasPalette: Bool, isXterm: Bool, firstIndex: Int
    private let lut: UnsafeMutablePointer<UInt32>
    private let cand: UnsafeMutablePointer<UInt16>
    private let count: Int
    private let prgb: UnsafeMutablePointer<V>   // r, g, b, |c|^2 per colour
    private let cols: UnsafeMutablePointer<RGB>
    // Scratch: column sums 0..<8, row prefix 8..<17, column prefix 17..<26, quadrants 26..<30.
    private let s: UnsafeMutablePointer<V>
    // Per-candidate covered sums, sample counts and unquantised errors.
    private let cm: UnsafeMutablePointer<V>, ck: UnsafeMutablePointer<Double>, ce: UnsafeMutablePointer<Double>

    init(candidates: [Candidate], palette: Palette?) {
        self.candidates = candidates
        s = .allocate(capacity: 30)
        cm = .allocate(capacity: candidates.count); ck = .allocate(capacity: candidates.count); ce = .allocate(capacity: candidates.count)
        hasPalette = palette != nil
        isXterm = palette?.lookupTable.isXterm ?? false
        firstIndex = palette?.firstIndex ?? 0
        count = palette?.colors.count ?? 0
        let t = palette?.lookupTable.table ?? []
        lut = .allocate(capacity: max(1, t.count))
        for i in t.indices { lut[i] = t[i] }
        let cs = palette?.lookupTable.candidates ?? []
        cand = .allocate(capacity: max(1, cs.count))
        for i in cs.indices { cand[i] = cs[i] }
        let c = palette?.colors ?? []
        prgb = .allocate(capacity: max(1, c.count))
        cols = .allocate(capacity: max(1, c.count))
        for (i, x) in c.enumerated() {
            let r = Double(x.r), g = Double(x.g), b = Double(x.b)
            prgb[i] = V(r, g, b, r * r + g * g + b * b)
            cols[i] = x
        }
    }

    deinit { s.deallocate(); cm.deallocate(); ck.deallocate(); ce.deallocate(); lut.deallocate(); cand.deallocate(); prgb.deallocate(); cols.deallocate() }

    @inline(__always)
    private func nearest(_ m: V) -> Int {
        let ri = min(max(Int(m.x) >> 2, 0), 63), gi = min(max(Int(m.y) >> 2, 0), 63), bi = min(max(Int(m.z) >> 2, 0), 63)
        let t = lut[ri << 12 | gi << 6 | bi]
        if t < NearestLookup.ambiguous { return Int(t) }
        if isXterm { return NearestLookup.xtermNearest(m.x, m.y, m.z) }
        // Search the bin's corner colours: argmin |c|² - 2 c·m.
        let off = Int((t & ~NearestLookup.ambiguous) >> 5), n = Int(t & 31)
        var best = 0, bd = Double.infinity
        for j in off..<(off + n) {
            let ci = Int(cand[j])
            let c = prgb[ci], d = c * m
            let e = c.w - 2 * (d.x + d.y + d.z)
            if e < bd { bd = e; best = ci }
        }
        return best
    }

    /// Squared error of painting pixels with sums `m` (r, g, b, Σ|p|²) over
    /// `k` samples in palette colour `c`: Σ|p|² - 2 c·Σp + k|c|².
    @inline(__always)
    private func paletteError(_ m: V, _ k: Double, _ c: V) -> Double {
        let d = c * m
        return m.w - 2 * (d.x + d.y + d.z) + k * c.w
    }

    @inline(__always)
    private func meanGain(_ m: V, _ k: Double) -> Double {
        let d = m * m
        return (d.x + d.y + d.z) / k
    }

    func fit(_ p: UnsafePointer<Float>, rowStride: Int) -> Cell {
        let colS = s, rowP = s + 8, colP = s + 17, quad = s + 26
        s.update(repeating: .zero, count: 30)
        for y in 0..<8 {
            let row = p + y * rowStride
            var l = V.zero, r = V.zero
            for x in 0..<4 {
                let a = Double(row[3 * x]), b = Double(row[3 * x + 1]), c = Double(row[3 * x + 2])
                let v = V(a, b, c, a * a + b * b + c * c)
                l += v; colS[x] += v
            }
            for x in 4..<8 {
                let a = Double(row[3 * x]), b = Double(row[3 * x + 1]), c = Double(row[3 * x + 2])
                let v = V(a, b, c, a * a + b * b + c * c)
                r += v; colS[x] += v
            }
            rowP[y + 1] = rowP[y] + l + r
            let q = (y >> 2) * 2
            quad[q] += l; quad[q + 1] += r
        }
        for x in 0..<8 { colP[x + 1] = colP[x] + colS[x] }
        let total = rowP[8]
        let eps = 1e-7 * (total.w + 1)

        // Pass 1: covered sums and the unquantised least-squares error of
        // every candidate (k = 0: one colour for the whole cell).
        let n = candidates.count
        var minI = 0
        for (ci, cand) in candidates.enumerated() {
            var m = V.zero, k = 0.0
            switch cand.split {
            case .uniform:
                break
            case .topRows(let n):
                m = rowP[n]; k = Double(8 * n)
            case .bottomRows(let n):
                m = total - rowP[8 - n]; k = Double(8 * n)
            case .leftCols(let n):
                m = colP[n]; k = Double(8 * n)
            case .quads(let q):
                for i in 0..<4 where q & (1 << i) != 0 { m += quad[i]; k += 16 }
            }
            cm[ci] = m; ck[ci] = k
            ce[ci] = k == 0 ? total.w - meanGain(total, 64) : total.w - meanGain(m, k) - meanGain(total - m, 64 - k)
            if ce[ci] < ce[minI] - eps { minI = ci }
        }
        if !hasPalette {
            let m = cm[minI], k = ck[minI], glyph = candidates[minI].glyph
            if k == 0 {
                let mean = total / 64
                let c = RGB(clamp8(mean.x), clamp8(mean.y), clamp8(mean.z)).directSafe
                return Cell(glyph: glyph, fg: c, bg: c)
            }
            let fm = m / k, bm = (total - m) / (64 - k)
            return Cell(glyph: glyph, fg: RGB(clamp8(fm.x), clamp8(fm.y), clamp8(fm.z)).directSafe,
                        bg: RGB(clamp8(bm.x), clamp8(bm.y), clamp8(bm.z)).directSafe)
        }
        // Pass 2 (palette): quantised error, best unquantised candidate first.
        // The quantised error of a split is never below its unquantised error,
        // so candidates whose unquantised error already exceeds the best
        // quantised one are skipped without changing the result.
        var bestErr = Double.infinity
        var best = Cell(glyph: " ", fg: RGB(0, 1, 0), bg: RGB(0, 1, 0))
        var bestI = -1
        for step in 0...n {
            let ci = step == 0 ? minI : step - 1
            if step > 0 && ci == minI { continue }
            if ce[ci] >= bestErr - eps { continue }
            let m = cm[ci], k = ck[ci], glyph = candidates[ci].glyph
            if k == 0 {
                let i = nearest(total / 64)
                let err = paletteError(total, 64, prgb[i])
                if err < bestErr - eps || (err < bestErr + eps && ci < bestI) {
                    bestErr = err; bestI = ci
                    let idx = UInt8(firstIndex + i)
                    best = Cell(glyph: glyph, fg: cols[i], bg: cols[i], fgIndex: idx, bgIndex: idx)
                }
                continue
            }
            let u = total - m, uk = 64 - k
            let f = nearest(m / k), b = nearest(u / uk)
            let err = paletteError(m, k, prgb[f]) + paletteError(u, uk, prgb[b])
            if err < bestErr - eps || (err < bestErr + eps && ci < bestI) {
                bestErr = err; bestI = ci
                best = Cell(glyph: glyph, fg: cols[f], bg: cols[b], fgIndex: UInt8(firstIndex + f), bgIndex: UInt8(firstIndex + b))
            }
        }
        return best
    }
}
