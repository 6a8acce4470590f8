// Localisation metrics on an upsampled, non-negative saliency map and a binary
// ground-truth mask of the same size (row-major, index = y * width + x).

/// Checks sizes and finiteness shared by the localisation metrics.
func checkMapAndMask(_ map: [Float], _ mask: [Bool], _ what: String) throws {
    guard map.count == mask.count else {
        throw EvalError.sizeMismatch("\(what): map has \(map.count) pixels, mask has \(mask.count)")
    }
    guard !map.isEmpty else { throw EvalError.emptyInput("\(what): map has no pixels") }
    if let i = map.firstIndex(where: { !$0.isFinite }) {
        throw EvalError.nonFinite("\(what): map pixel \(i) is \(map[i])")
    }
}

/// Energy-based pointing game (Wang et al., Score-CAM 2020):
/// `EBPG = sum(L * mask) / sum(L)`, the share of the map's energy inside the mask.
///
/// - Negative map values are treated as 0 (the map is meant to be non-negative, as after a ReLU).
/// - An all-zero map (sum 0) scores **0**, never NaN.
/// - Sums are accumulated in Double.
/// - Throws `EvalError` if sizes differ, the map is empty, or it holds NaN/inf.
public func ebpg(map: [Float], mask: [Bool]) throws -> Float {
    try checkMapAndMask(map, mask, "ebpg")
    var inside = 0.0, total = 0.0
    for i in 0..<map.count {
        let v = Double(max(map[i], 0))
        total += v
        if mask[i] { inside += v }
    }
    return total > 0 ? Float(inside / total) : 0
}

/// Size-adaptive bounding-box test ("Bbox", Schulz et al. 2020 as used by Integrated Grad-CAM):
/// with `N` = number of mask pixels, keep the `N` highest map pixels; the score is the
/// fraction of them that lie inside the mask.
///
/// Tie rule (deterministic, independent of pixel order): let `v` be the N-th highest value.
/// All pixels `> v` are kept with weight 1; the `T` pixels equal to `v` share the remaining
/// `N - G` slots (G = count of pixels `> v`), each with weight `(N - G) / T`. So
/// `score = (G_in + T_in * (N - G) / T) / N`.
///
/// - `N = 0` (no box of the class) scores **0**.
/// - An all-zero map (after treating negatives as 0) scores **0** (no explanation, no hit).
/// - Throws `EvalError` if sizes differ, the map is empty, or it holds NaN/inf.
public func bbox(map: [Float], mask: [Bool]) throws -> Float {
    try checkMapAndMask(map, mask, "bbox")
    let n = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
    guard n > 0 else { return 0 }
    let values = map.map { max($0, 0) }
    guard values.contains(where: { $0 > 0 }) else { return 0 }
    let sorted = values.sorted(by: >)
    let v = sorted[n - 1]
    var greater = 0, greaterIn = 0, tied = 0, tiedIn = 0
    for i in 0..<values.count {
        if values[i] > v {
            greater += 1
            if mask[i] { greaterIn += 1 }
        } else if values[i] == v {
            tied += 1
            if mask[i] { tiedIn += 1 }
        }
    }
    let slots = Double(n - greater)
    let score = (Double(greaterIn) + Double(tiedIn) * slots / Double(tied)) / Double(n)
    return Float(score)
}

/// Pointing game (Zhang et al. 2016): a **hit** if a maximum of the map lies within
/// `tolerance` pixels (Euclidean distance between pixel centres, `<=`) of some mask pixel.
///
/// - Tie rule: when several pixels share the maximum value, it is a hit if **any** of them
///   is within tolerance (order-independent).
/// - An all-zero map (maximum `<= 0`) is a **miss**; an empty mask is a miss.
/// - `tolerance` defaults to 15 px, the usual value; negative tolerance throws.
/// - Throws `EvalError` if `width * height` differs from the map or mask size, or on NaN/inf.
public func pointingGame(map: [Float], mask: [Bool], width: Int, height: Int,
                         tolerance: Float = 15) throws -> Bool {
    try checkMapAndMask(map, mask, "pointingGame")
    guard width > 0, height > 0, width * height == map.count else {
        throw EvalError.sizeMismatch("pointingGame: \(width)x\(height) is not \(map.count) pixels")
    }
    guard tolerance >= 0, tolerance.isFinite else {
        throw EvalError.invalidArgument("pointingGame: tolerance \(tolerance) must be >= 0")
    }
    guard let peak = map.max(), peak > 0, mask.contains(true) else { return false }
    let rowDist = horizontalMaskDistance(mask, width: width, height: height)
    let t = Int(tolerance.rounded(.down))
    let t2 = Double(tolerance) * Double(tolerance)
    for i in 0..<map.count where map[i] == peak {
        let px = i % width, py = i / width
        for y in max(0, py - t)...min(height - 1, py + t) {
            let dx = rowDist[y * width + px]
            guard dx != Int.max else { continue }
            let dy = y - py
            if Double(dx * dx + dy * dy) <= t2 { return true }
        }
    }
    return false
}

/// For every pixel, the horizontal distance to the nearest mask pixel in the same row
/// (`Int.max` if the row has none). Two linear passes per row.
func horizontalMaskDistance(_ mask: [Bool], width: Int, height: Int) -> [Int] {
    var d = [Int](repeating: Int.max, count: mask.count)
    for y in 0..<height {
        let r = y * width
        var last = -1
        for x in 0..<width {
            if mask[r + x] { last = x }
            if last >= 0 { d[r + x] = x - last }
        }
        last = -1
        for x in stride(from: width - 1, through: 0, by: -1) {
            if mask[r + x] { last = x }
            if last >= 0 { d[r + x] = min(d[r + x], last - x) }
        }
    }
    return d
}
