import Foundation

/// Separable Gaussian blur of a C x H x W image: weights `exp(-d^2 / (2 sigma^2))` for
/// `|d| <= radius`, normalised to sum 1; border pixels are clamped (replicated).
public func gaussianBlur(chw: [Float], channels: Int, height: Int, width: Int,
                         sigma: Float, radius: Int) -> [Float] {
    let r = max(0, radius)
    var k = (-r...r).map { d in exp(-Float(d * d) / (2 * sigma * sigma)) }
    let ks = k.reduce(0, +)
    k = k.map { $0 / ks }
    let hw = height * width
    var tmp = [Float](repeating: 0, count: chw.count)
    var out = [Float](repeating: 0, count: chw.count)
    for c in 0..<channels {
        let b = c * hw
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for d in -r...r {
                    let xx = min(max(x + d, 0), width - 1)
                    s += k[d + r] * chw[b + y * width + xx]
                }
                tmp[b + y * width + x] = s
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                for d in -r...r {
                    let yy = min(max(y + d, 0), height - 1)
                    s += k[d + r] * tmp[b + yy * width + x]
                }
                out[b + y * width + x] = s
            }
        }
    }
    return out
}
