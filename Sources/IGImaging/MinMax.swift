/// igcam's one min-max normaliser, used wherever a map becomes [0, 1]: the
/// overlays and heatmaps, the viewer's difference view, Score-CAM's masks and
/// the masked images of the Drop / Increase metrics.
///
/// `(v - min) / (max - min)` over the finite values. Rules: a non-finite value
/// (NaN, +-inf) is ignored when finding min and max and comes out as 0; a map
/// whose finite values are all equal, or that has none, comes out all 0; an
/// empty map gives an empty map. (A division, not a multiplication by
/// 1 / (max - min), which can differ in the last bit.)
public func normalizeMinMax(_ m: [Float]) -> [Float] {
    guard let (lo, hi) = finiteRange(m), lo < hi else { return [Float](repeating: 0, count: m.count) }
    let r = hi - lo
    return m.map { $0.isFinite ? ($0 - lo) / r : 0 }
}

/// The smallest and largest finite values of `m` (what 0 and 1 of
/// `normalizeMinMax` stand for); nil when it has no finite value.
public func finiteRange(_ m: [Float]) -> (min: Float, max: Float)? {
    var lo = Float.infinity, hi = -Float.infinity
    for v in m where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
    return lo <= hi ? (lo, hi) : nil
}
