// Average Drop % and Increase in Confidence % (Chattopadhay et al., Grad-CAM++ 2018).
// `y[i]` is the class score (softmax probability) on image i, `o[i]` the score on the
// explanation-masked image `E = L_norm ⊙ I` (see `maskedImage`).

func checkScores(_ y: [Float], _ o: [Float], _ what: String) throws {
    guard y.count == o.count else {
        throw EvalError.sizeMismatch("\(what): \(y.count) scores Y but \(o.count) scores O")
    }
    guard !y.isEmpty else { throw EvalError.emptyInput("\(what): no scores") }
    if let i = (y + o).firstIndex(where: { !$0.isFinite }) {
        throw EvalError.nonFinite("\(what): score \(i % y.count) is not finite")
    }
}

/// Average Drop %: `100 * mean_i( max(0, Y_i - O_i) / Y_i )`. Lower is better.
///
/// - A term with `Y_i <= 0` contributes 0 (nothing to drop from).
/// - Throws on length mismatch, empty input, or NaN/inf.
public func averageDrop(y: [Float], o: [Float]) throws -> Float {
    try checkScores(y, o, "averageDrop")
    var s = 0.0
    for i in 0..<y.count where y[i] > 0 {
        s += max(0, Double(y[i]) - Double(o[i])) / Double(y[i])
    }
    return Float(100 * s / Double(y.count))
}

/// Increase in Confidence %: `100 * mean_i( 1[O_i > Y_i] )` (strictly greater). Higher is better.
///
/// - Throws on length mismatch, empty input, or NaN/inf.
public func increaseInConfidence(y: [Float], o: [Float]) throws -> Float {
    try checkScores(y, o, "increaseInConfidence")
    let hits = zip(y, o).reduce(0) { $0 + ($1.1 > $1.0 ? 1 : 0) }
    return Float(100 * Double(hits) / Double(y.count))
}

/// The explanation-masked image `E = map01 ⊙ I` of the Average Drop / Increase metrics.
///
/// - `chw`: the image, channel-major (C x H x W), in **pixel space** [0, 1] (before mean/std
///   normalisation, so that a 0 weight means a black pixel).
/// - `map01`: the map at the image size (H x W), already min-max normalised to [0, 1]
///   (see IGImaging `normalizeMinMax`); it multiplies every channel.
/// - Throws if `chw.count` is not a positive multiple of `map01.count`.
public func maskedImage(chw: [Float], map01: [Float]) throws -> [Float] {
    let hw = map01.count
    guard hw > 0, chw.count >= hw, chw.count % hw == 0 else {
        throw EvalError.sizeMismatch("maskedImage: image has \(chw.count) values, map has \(hw) pixels")
    }
    var out = chw
    for c in 0..<(chw.count / hw) {
        let base = c * hw
        for i in 0..<hw { out[base + i] = chw[base + i] * map01[i] }
    }
    return out
}
