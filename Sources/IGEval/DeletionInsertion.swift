import Foundation
import IGImaging

// Deletion / insertion curves (Petsiuk et al., RISE 2018): pixels are removed from
// (deletion) or inserted into (insertion) the image in order of saliency, the class
// probability is recorded after each step, and the score is the area under the curve.

/// Pixel indices (row-major, `y * width + x`) ordered by saliency, **descending**; equal
/// values keep ascending index order (stable), so the order is deterministic.
/// NaN values sort last.
public func deletionInsertionOrder(map: [Float]) -> [Int] {
    return Array(0..<map.count).sorted { a, b in
        let va = map[a], vb = map[b]
        if va.isNaN || vb.isNaN {
            if va.isNaN != vb.isNaN { return vb.isNaN }
            return a < b
        }
        return va != vb ? va > vb : a < b
    }
}

/// Normalised area under a curve sampled at equally spaced points on [0, 1]
/// (point i at x = i / (n - 1)), by the trapezoid rule:
/// `sum_i (c[i] + c[i+1]) / 2 / (n - 1)`.
/// A constant curve c gives c. One point gives that point's value; an empty curve gives 0.
public func auc(_ curve: [Float]) -> Float {
    guard curve.count > 1 else { return curve.first ?? 0 }
    var s = 0.0
    for i in 0..<(curve.count - 1) { s += (Double(curve[i]) + Double(curve[i + 1])) / 2 }
    return Float(s / Double(curve.count - 1))
}

/// Which curve a `PerturbationPlan` produces.
public enum PerturbationMode: String, Sendable {
    /// Start from the image; set the most salient pixels to 0 (black, all channels) step by step.
    case deletion
    /// Start from a blurred copy; put the original's most salient pixels back step by step.
    case insertion
}

/// A batch of consecutive perturbed images, NCHW, for running through a model.
public struct PerturbationBatch: Sendable {
    /// Index of the first step in this batch (step k has `min(k * stepPixels, H*W)` pixels changed).
    public let firstStep: Int
    /// Number of images in the batch.
    public let count: Int
    /// `count * C * H * W` floats, image after image, each channel-major.
    public let data: [Float]
}

/// The sequence of perturbed images of a deletion or insertion curve, without a model.
///
/// - Image in **pixel space** [0, 1], channel-major (C x H x W); the caller normalises
///   (mean/std) before the model and records the class softmax probability for each step.
/// - Pixel order: `deletionInsertionOrder(map:)` of the map at image size (H x W).
/// - Step size: `stepPixels` pixels per step; default `max(1, round(H*W / 224))`, which is
///   224 px at 224 x 224 as in RISE. There are `stepCount = ceil(H*W / stepPixels)` steps and
///   `imageCount = stepCount + 1` images (step 0 = unchanged start, last = fully changed), so
///   the curve of probabilities has `imageCount` points and its score is `auc(curve)`.
/// - Deletion: changed pixels are set to 0 in every channel.
/// - Insertion: the start is the image blurred by a separable Gaussian, sigma `blurSigma`
///   (default 5) with 11 taps (radius 5), as RISE's reference code (`gkern(11, 5)`); borders
///   are clamped (RISE pads with zeros, which darkens the border); then original pixels
///   are inserted.
public struct PerturbationPlan: Sendable {
    public let mode: PerturbationMode
    public let channels: Int, height: Int, width: Int
    public let stepPixels: Int
    /// Pixel order, most salient first.
    public let order: [Int]
    let original: [Float]
    let start: [Float]
    let fill: [Float]

    /// Number of steps; images are `0...stepCount`.
    public var stepCount: Int { (height * width + stepPixels - 1) / stepPixels }
    /// Number of perturbed images (curve points) = `stepCount + 1`.
    public var imageCount: Int { stepCount + 1 }

    /// - Throws `EvalError` if sizes disagree, a dimension or the step is not positive, or
    ///   the image / map hold NaN or infinity.
    public init(chw: [Float], channels: Int, height: Int, width: Int, map: [Float],
                mode: PerturbationMode, stepPixels: Int? = nil, blurSigma: Float = 5) throws {
        guard channels > 0, height > 0, width > 0 else {
            throw EvalError.invalidArgument("PerturbationPlan: shape \(channels)x\(height)x\(width)")
        }
        let hw = height * width
        guard chw.count == channels * hw else {
            throw EvalError.sizeMismatch("PerturbationPlan: image has \(chw.count) values, expected \(channels)x\(height)x\(width)")
        }
        guard map.count == hw else {
            throw EvalError.sizeMismatch("PerturbationPlan: map has \(map.count) pixels, image \(height)x\(width)")
        }
        if chw.contains(where: { !$0.isFinite }) { throw EvalError.nonFinite("PerturbationPlan: image") }
        if map.contains(where: { !$0.isFinite }) { throw EvalError.nonFinite("PerturbationPlan: map") }
        let step = stepPixels ?? max(1, Int((Double(hw) / 224).rounded()))
        guard step > 0 else { throw EvalError.invalidArgument("PerturbationPlan: stepPixels \(step) must be > 0") }
        guard blurSigma > 0, blurSigma.isFinite else {
            throw EvalError.invalidArgument("PerturbationPlan: blurSigma \(blurSigma) must be > 0")
        }
        self.mode = mode
        self.channels = channels; self.height = height; self.width = width
        self.stepPixels = step
        self.order = deletionInsertionOrder(map: map)
        self.original = chw
        switch mode {
        case .deletion:
            start = chw
            fill = [Float](repeating: 0, count: chw.count)
        case .insertion:
            start = gaussianBlur(chw: chw, channels: channels, height: height, width: width,
                                 sigma: blurSigma, radius: 5)
            fill = chw
        }
    }

    /// The image after `step` steps (`0...stepCount`), C x H x W. Out-of-range steps are clamped.
    public func image(atStep step: Int) -> [Float] {
        var img = start
        apply(&img, from: 0, to: min(max(step, 0), stepCount) * stepPixels)
        return img
    }

    /// All images in batches of at most `size` (>= 1), generated lazily and incrementally
    /// (each pixel is changed once; only one batch is held at a time), in step order.
    /// The batches together hold `imageCount` images.
    public func batches(size: Int) -> PerturbationBatches {
        PerturbationBatches(plan: self, size: max(1, size))
    }

    /// Copies `fill` into `img` at the ordered pixels `[from, to)`, every channel.
    func apply(_ img: inout [Float], from: Int, to: Int) {
        let hw = height * width
        let to = min(to, hw)
        guard from < to else { return }
        for j in from..<to {
            let p = order[j]
            for c in 0..<channels { img[c * hw + p] = fill[c * hw + p] }
        }
    }
}

/// Lazy sequence of `PerturbationBatch`es of a `PerturbationPlan` (see `batches(size:)`).
public struct PerturbationBatches: Sequence, IteratorProtocol {
    let plan: PerturbationPlan
    let size: Int
    var current: [Float]
    var changed = 0
    var nextStep = 0

    init(plan: PerturbationPlan, size: Int) {
        self.plan = plan
        self.size = size
        self.current = plan.start
    }

    public mutating func next() -> PerturbationBatch? {
        guard nextStep < plan.imageCount else { return nil }
        let count = Swift.min(size, plan.imageCount - nextStep)
        var data = [Float]()
        data.reserveCapacity(count * current.count)
        for s in nextStep..<(nextStep + count) {
            let target = Swift.min(s * plan.stepPixels, plan.height * plan.width)
            plan.apply(&current, from: changed, to: target)
            changed = target
            data.append(contentsOf: current)
        }
        let batch = PerturbationBatch(firstStep: nextStep, count: count, data: data)
        nextStep += count
        return batch
    }
}
