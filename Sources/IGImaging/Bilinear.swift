/// Per-output-index source indices and weights for one axis of a PyTorch-style
/// bilinear resize (`align_corners=False`, `antialias=False`).
struct LinearAxis {
    var i0: [Int]
    var i1: [Int]
    var w0: [Float]
    var w1: [Float]

    /// Weights for output indices `start ..< start+count` of a resize from
    /// `inSize` to `outSize`, computed exactly as PyTorch's CPU kernel does
    /// (float32): scale = in/out; src = scale*(dst+0.5) - 0.5 (one fused
    /// multiply-add), clamped at 0;
    /// i0 = min(floor(src), in-1); i1 = i0+1 unless at the edge;
    /// w1 = clamp(src - i0, 0, 1); w0 = 1 - w1. Equal sizes copy.
    init(inSize: Int, outSize: Int, start: Int = 0, count: Int? = nil) {
        let n = count ?? outSize
        i0 = [Int](repeating: 0, count: n); i1 = i0
        w0 = [Float](repeating: 1, count: n); w1 = [Float](repeating: 0, count: n)
        if inSize == outSize {
            for k in 0..<n { i0[k] = start + k; i1[k] = start + k }
            return
        }
        let scale = Float(inSize) / Float(outSize)
        for k in 0..<n {
            let dst = start + k
            // fma(scale, dst + 0.5, -0.5): PyTorch's expression as its
            // AVX2/AVX-512 builds compile it (contracted to one FMA).
            var src = (Float(-0.5)).addingProduct(scale, Float(dst) + 0.5)
            if src < 0 { src = 0 }
            let a = min(Int(src.rounded(.down)), inSize - 1)
            let lam = min(max(src - Float(a), 0), 1)
            i0[k] = a
            i1[k] = a + (a < inSize - 1 ? 1 : 0)
            w1[k] = lam
            w0[k] = 1 - lam
        }
    }
}

/// Resizes one float plane (row-major, `h` x `w`) with precomputed axis weights,
/// combining as PyTorch's generic CPU kernel does, with its compiled fused
/// multiply-adds: t0 = fma(v00, w0, v01*w1), t1 = fma(v10, w0, v11*w1),
/// out = fma(t0, h0, t1*h1). This reproduces torch 2.x float32 CPU output
/// bit for bit on the generic path (output H+W > 128 with >1 thread); torch's
/// channels-last path (small outputs, or 3 channels on 1 thread) differs
/// from it by at most a few ulps.
@inline(__always)
func resamplePlane(_ src: UnsafeBufferPointer<Float>, width w: Int, rows: LinearAxis, cols: LinearAxis,
                   into dst: UnsafeMutableBufferPointer<Float>) {
    let outW = cols.i0.count
    for oy in 0..<rows.i0.count {
        let r0 = rows.i0[oy] * w, r1 = rows.i1[oy] * w
        let h0 = rows.w0[oy], h1 = rows.w1[oy]
        let base = oy * outW
        for ox in 0..<outW {
            let c0 = cols.i0[ox], c1 = cols.i1[ox]
            let a = cols.w0[ox], b = cols.w1[ox]
            let top = (src[r0 + c1] * b).addingProduct(src[r0 + c0], a)
            let bottom = (src[r1 + c1] * b).addingProduct(src[r1 + c0], a)
            dst[base + ox] = (bottom * h1).addingProduct(top, h0)
        }
    }
}

/// Upsamples (or downsamples) a single-channel float map, row-major
/// `height` x `width`, to `toHeight` x `toWidth` with bilinear interpolation
/// matching `torch.nn.functional.interpolate(mode="bilinear",
/// align_corners=False, antialias=False)` (half-pixel centres, source
/// coordinate clamped at 0). Used to bring CAMs to image resolution.
/// Returns an empty array if any size is not positive or `map.count` does
/// not equal `height * width`.
public func upsampleBilinear(_ map: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int) -> [Float] {
    guard height > 0, width > 0, toHeight > 0, toWidth > 0, map.count == height * width else { return [] }
    let rows = LinearAxis(inSize: height, outSize: toHeight)
    let cols = LinearAxis(inSize: width, outSize: toWidth)
    var out = [Float](repeating: 0, count: toHeight * toWidth)
    map.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { d in resamplePlane(s, width: width, rows: rows, cols: cols, into: d) }
    }
    return out
}
