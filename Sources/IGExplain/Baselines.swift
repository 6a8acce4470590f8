import Foundation
import IGEngine
import IGImaging

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
            return gaussianBlur(chw: image, channels: 3, height: height, width: width, sigma: sigma,
                                radius: max(1, Int((3 * sigma).rounded(.up))))
        case .noise(let seed):
            var g = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
            return (0..<image.count).map { _ in Float(g.next() >> 40) / Float(1 << 24) }
        }
    }
}
