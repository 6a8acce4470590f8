/// Resizes an image for DISPLAY (not for model input; use `preprocess` there).
///
/// Each axis is handled separately: when it grows (or stays), bilinear
/// interpolation with half-pixel centres (PyTorch `align_corners=False`
/// semantics); when it shrinks, area averaging (each output pixel is the
/// overlap-weighted mean of the source pixels it covers), which avoids
/// aliasing. Results are rounded to the nearest integer. Returns a 1x1 black
/// image for a non-positive target and the input for an empty input.
public func resizeBilinear(_ img: RGBImage, width: Int, height: Int) -> RGBImage {
    guard width > 0, height > 0 else { return RGBImage(width: 1, height: 1) }
    guard img.width > 0, img.height > 0 else { return img }
    if width == img.width && height == img.height { return img }
    let cols = displayAxis(inSize: img.width, outSize: width)
    let rows = displayAxis(inSize: img.height, outSize: height)
    let iw = img.width, ih = img.height
    // Horizontal pass: ih x width x 3 floats.
    var tmp = [Float](repeating: 0, count: ih * width * 3)
    img.pixels.withUnsafeBufferPointer { px in
        tmp.withUnsafeMutableBufferPointer { t in
            for y in 0..<ih {
                for x in 0..<width {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for (sx, wt) in cols[x] {
                        let i = 3 * (y * iw + sx)
                        r += Float(px[i]) * wt; g += Float(px[i + 1]) * wt; b += Float(px[i + 2]) * wt
                    }
                    let o = 3 * (y * width + x)
                    t[o] = r; t[o + 1] = g; t[o + 2] = b
                }
            }
        }
    }
    var out = [UInt8](repeating: 0, count: width * height * 3)
    tmp.withUnsafeBufferPointer { t in
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<height {
                for x in 0..<width {
                    var acc: (Float, Float, Float) = (0, 0, 0)
                    for (sy, wt) in rows[y] {
                        let i = 3 * (sy * width + x)
                        acc.0 += t[i] * wt; acc.1 += t[i + 1] * wt; acc.2 += t[i + 2] * wt
                    }
                    let d = 3 * (y * width + x)
                    o[d] = clampByte(acc.0); o[d + 1] = clampByte(acc.1); o[d + 2] = clampByte(acc.2)
                }
            }
        }
    }
    return RGBImage(width: width, height: height, pixels: out)
}

/// Rounds to nearest (halves up) and clamps to 0...255; NaN gives 0.
@inline(__always)
func clampByte(_ v: Float) -> UInt8 {
    let c = v > 0 ? min(v, 255) : 0   // NaN fails `v > 0`
    return UInt8(c + 0.5 >= 256 ? 255 : c + 0.5)
}

/// Source taps (index, weight) per output index for one axis of the display resize.
func displayAxis(inSize: Int, outSize: Int) -> [[(Int, Float)]] {
    if outSize >= inSize {
        let a = LinearAxis(inSize: inSize, outSize: outSize)
        var taps: [[(Int, Float)]] = []
        for k in 0..<outSize {
            if a.i0[k] == a.i1[k] {
                taps.append([(a.i0[k], Float(1))])
            } else {
                taps.append([(a.i0[k], a.w0[k]), (a.i1[k], a.w1[k])])
            }
        }
        return taps
    }
    let scale = Double(inSize) / Double(outSize)
    return (0..<outSize).map { k in
        let lo = Double(k) * scale, hi = Double(k + 1) * scale
        var taps: [(Int, Float)] = []
        var s = Int(lo.rounded(.down))
        while Double(s) < hi && s < inSize {
            let overlap = min(hi, Double(s + 1)) - max(lo, Double(s))
            if overlap > 0 { taps.append((s, Float(overlap / scale))) }
            s += 1
        }
        return taps
    }
}
