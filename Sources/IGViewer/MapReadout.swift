import Foundation
import IGImaging

// Pure numbers the viewer shows about a map: the probe under the cursor, the
// convergence of Integrated Grad-CAM over m = 1, 2, 4, ..., and the signed
// difference of two maps. No drawing here.

/// The probe's cursor: a cell of the map (row, column at the target layer's resolution).
public struct ProbeCursor: Equatable, Sendable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) { self.row = row; self.column = column }
}

/// What the probe shows for one map cell.
public struct ProbeReading: Equatable, Sendable {
    /// The raw map value (as `igcam explain --raw` writes it).
    public var value: Float
    /// Percentile rank among the map's cells: 100 (below + equal / 2) / n,
    /// where `equal` counts the cell itself.
    public var percentile: Double
    /// The image pixel at the centre of the cell (in the photo as loaded).
    public var imageX: Int
    public var imageY: Int
}

/// The pixel rectangle of the photo the network saw: the centred crop for
/// `.crop` models, the whole photo for `.stretch` ones.
public struct InputGeometry: Equatable, Sendable {
    public var resize: ResizeMode
    public var height: Int
    public var width: Int
    public init(resize: ResizeMode, height: Int, width: Int) { self.resize = resize; self.height = height; self.width = width }

    public func region(imageWidth: Int, imageHeight: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        inputRegion(imageWidth: imageWidth, imageHeight: imageHeight, resize: resize, inputHeight: height, inputWidth: width)
    }
}

/// The probe's reading of `map` (`mapWidth` x `mapHeight`, row-major) at
/// `cursor` (clamped into the map), with the cell's centre mapped into
/// `region` of the photo. Nil for an empty or mis-sized map.
public func probe(_ map: [Float], mapWidth: Int, mapHeight: Int, at cursor: ProbeCursor,
                  region: (x: Int, y: Int, width: Int, height: Int)) -> ProbeReading? {
    guard mapWidth > 0, mapHeight > 0, map.count == mapWidth * mapHeight else { return nil }
    let r = min(max(cursor.row, 0), mapHeight - 1), c = min(max(cursor.column, 0), mapWidth - 1)
    let v = map[r * mapWidth + c]
    var below = 0, equal = 0
    for x in map { if x < v { below += 1 } else if x == v { equal += 1 } }
    let pct = 100 * (Double(below) + Double(equal) / 2) / Double(map.count)
    let ix = region.x + Int((Double(c) + 0.5) * Double(region.width) / Double(mapWidth))
    let iy = region.y + Int((Double(r) + 0.5) * Double(region.height) / Double(mapHeight))
    return ProbeReading(value: v, percentile: pct, imageX: ix, imageY: iy)
}

/// The step counts of the convergence ladder for `steps`: 1, 2, 4, ... up to
/// the largest power of two not above `steps` (at most `limit` of them, the
/// largest kept). With m = 2k the figure reading's path points k'/m include
/// every point of m = k, and so do the authors-code reading's (left sum,
/// k' = 0..m-1), so each rung reuses the cached terms of the one below.
public func ladderSteps(_ steps: Int, limit: Int = 13) -> [Int] {
    var out = [Int](), m = 1
    while m <= max(steps, 1) { out.append(m); m *= 2 }
    return Array(out.suffix(limit))
}

/// ||A_m - A_{m/2}|| / ||A_m|| (Euclidean norms) with A_m = M_m / m, the
/// path average: Integrated Grad-CAM's raw map is a sum of m terms with no
/// 1/m, so the raw maps grow with m and only the averages converge. Nil when
/// the sizes differ or A_m is all zero.
public func relativeChange(_ big: [Float], steps m: Int, from small: [Float], steps k: Int) -> Double? {
    guard big.count == small.count, !big.isEmpty, m > 0, k > 0 else { return nil }
    var num = 0.0, den = 0.0
    for i in big.indices {
        let a = Double(big[i]) / Double(m), b = Double(small[i]) / Double(k)
        num += (a - b) * (a - b); den += a * a
    }
    return den > 0 ? (num / den).squareRoot() : nil
}

/// A sparkline of non-negative values, one block per value, scaled to the largest.
public func sparkline(_ values: [Double]) -> String {
    let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    let top = values.filter(\.isFinite).max() ?? 0
    return String(values.map { v in
        guard top > 0, v.isFinite else { return bars[0] }
        return bars[min(7, max(0, Int((v / top * 7).rounded())))]
    })
}

/// The signed difference of two maps after each is min-max normalised to
/// [0, 1] (raw scales differ between methods): values in [-1, 1]. Nil when
/// the sizes differ.
public func normalisedDifference(_ a: [Float], _ b: [Float]) -> [Float]? {
    guard a.count == b.count else { return nil }
    let na = normalizeMinMax(a), nb = normalizeMinMax(b)
    return zip(na, nb).map { $0 - $1 }
}

/// A compact number for the panel: 4 significant digits, exponent form for
/// very large or small magnitudes.
public func compact(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.3e", v) }
    return String(format: "%.4g", v)
}
