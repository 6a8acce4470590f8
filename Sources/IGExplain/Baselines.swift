import Foundation

/// Baseline images for Integrated Grad-CAM, in pixel space [0, 1], CHW.
enum Baselines {
    static func pixels(_ b: Baseline, image: [Float], height: Int, width: Int, mean: [Float]) -> [Float] {
        let plane = height * width
        switch b {
        case .black:
            return [Float](repeating: 0, count: image.count)
        case .mean:
            var out = [Float](repeating: 0, count: image.count)
            for c in 0..<3 { for i in 0..<plane { out[c * plane + i] = mean[c] } }
            return out
        case .blur(let sigma):
            return gaussianBlur(image, channels: 3, height: height, width: width, sigma: sigma)
        case .noise(let seed):
            var state = seed &+ 0x9E37_79B9_7F4A_7C15
            return (0..<image.count).map { _ in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                return Float(z >> 40) / Float(1 << 24)
            }
        }
    }

    /// Separable Gaussian blur (kernel radius 3 sigma, edges clamped).
    static func gaussianBlur(_ x: [Float], channels: Int, height: Int, width: Int, sigma: Float) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { expf(-Float($0 * $0) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        var tmp = x, out = x
        for c in 0..<channels {
            let base = c * height * width
            for y in 0..<height {
                for xx in 0..<width {
                    var acc: Float = 0
                    for d in -r...r { acc += k[d + r] * x[base + y * width + min(max(xx + d, 0), width - 1)] }
                    tmp[base + y * width + xx] = acc
                }
            }
            for y in 0..<height {
                for xx in 0..<width {
                    var acc: Float = 0
                    for d in -r...r { acc += k[d + r] * tmp[base + min(max(y + d, 0), height - 1) * width + xx] }
                    out[base + y * width + xx] = acc
                }
            }
        }
        return out
    }
}
