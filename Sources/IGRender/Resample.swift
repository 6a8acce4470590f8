import IGImaging

/// Area-average (box filter) resampling of an RGB image to `outW` x `outH`,
/// separable, returned as interleaved Float RGB. Exact area weights both when
/// shrinking and when enlarging (enlarging then repeats pixels).
func areaResample(_ image: RGBImage, _ outW: Int, _ outH: Int) -> [Float] {
    let inW = image.width, inH = image.height
    guard outW > 0, outH > 0, inW > 0, inH > 0 else { return [] }
    let (hx, hw, hn) = taps(inW, outW)
    let (vy, vw, vn) = taps(inH, outH)
    var tmp = [Float](repeating: 0, count: inH * outW * 3)
    image.pixels.withUnsafeBufferPointer { src in
        tmp.withUnsafeMutableBufferPointer { t in
            for y in 0..<inH {
                let row = y * inW * 3, orow = y * outW * 3
                for x in 0..<outW {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for k in 0..<hn {
                        let w = hw[x * hn + k]
                        if w == 0 { continue }
                        let i = row + 3 * hx[x * hn + k]
                        r += w * Float(src[i]); g += w * Float(src[i + 1]); b += w * Float(src[i + 2])
                    }
                    t[orow + 3 * x] = r; t[orow + 3 * x + 1] = g; t[orow + 3 * x + 2] = b
                }
            }
        }
    }
    var out = [Float](repeating: 0, count: outH * outW * 3)
    tmp.withUnsafeBufferPointer { t in
        out.withUnsafeMutableBufferPointer { o in
            let rowLen = outW * 3
            for y in 0..<outH {
                let orow = y * rowLen
                for k in 0..<vn {
                    let w = vw[y * vn + k]
                    if w == 0 { continue }
                    let irow = vy[y * vn + k] * rowLen
                    for i in 0..<rowLen { o[orow + i] += w * t[irow + i] }
                }
            }
        }
    }
    return out
}

/// For each output coordinate: source indices and weights (fixed count per output).
private func taps(_ inSize: Int, _ outSize: Int) -> ([Int], [Float], Int) {
    let scale = Double(inSize) / Double(outSize)
    let per = Int(scale.rounded(.up)) + 1
    var idx = [Int](repeating: 0, count: outSize * per)
    var wts = [Float](repeating: 0, count: outSize * per)
    for o in 0..<outSize {
        let a = Double(o) * scale, b = Double(o + 1) * scale
        var k = 0
        var i = Int(a.rounded(.down))
        while Double(i) < b && i < inSize && k < per {
            let w = min(b, Double(i + 1)) - max(a, Double(i))
            if w > 0 { idx[o * per + k] = i; wts[o * per + k] = Float(w / (b - a)); k += 1 }
            i += 1
        }
    }
    return (idx, wts, per)
}

/// `image` area-resampled to `width` x `height` and rounded to 8 bits: the
/// reference a cell grid of `width / subWidth` columns is compared against
/// (see `psnr`). Returns an empty image for non-positive sizes.
public func renderReference(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    guard width > 0, height > 0, image.width > 0, image.height > 0 else { return RGBImage(width: 0, height: 0, pixels: []) }
    let f = areaResample(image, width, height)
    return RGBImage(width: width, height: height, pixels: f.map { clamp8(Double($0)) })
}
