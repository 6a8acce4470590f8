/// The ground-truth mask of a class: the union of all its boxes in `ann`, as a row-major
/// `width x height` array (index `y * width + x`), for a map of that size.
///
/// - Boxes are VOC 1-based inclusive; box `xmin...xmax` covers the continuous interval
///   `[xmin - 1, xmax)` in 0-based pixel-edge coordinates. If `width`/`height` differ from the
///   annotation's size, that interval is scaled by `width / ann.width` (resp. height). A pixel
///   is inside when its centre is inside the (scaled) interval; a box too thin to contain any
///   pixel centre still marks the one pixel under its middle. Everything is clamped to the map.
/// - Objects flagged `difficult` are skipped unless `includeDifficult`.
/// - No box of the class (or a non-positive size) gives an all-false mask
///   (an empty array when `width * height <= 0`).
public func mask(for className: String, in ann: VOCAnnotation, includeDifficult: Bool,
                 width: Int, height: Int) -> [Bool] {
    guard width > 0, height > 0 else { return [] }
    var m = [Bool](repeating: false, count: width * height)
    guard ann.width > 0, ann.height > 0 else { return m }
    let sx = Double(width) / Double(ann.width), sy = Double(height) / Double(ann.height)
    for o in ann.objects where o.name == className && (includeDifficult || !o.difficult) {
        let (xa, xb) = pixelSpan(lo: (o.box.xmin - 1) * sx, hi: o.box.xmax * sx, size: width)
        let (ya, yb) = pixelSpan(lo: (o.box.ymin - 1) * sy, hi: o.box.ymax * sy, size: height)
        guard xa <= xb, ya <= yb else { continue }
        for y in ya...yb { for x in xa...xb { m[y * width + x] = true } }
    }
    return m
}

/// 0-based pixel index range whose centres `i + 0.5` lie in `[lo, hi)`, clamped to `0..<size`;
/// at least the pixel under the interval's middle when the interval overlaps the map.
func pixelSpan(lo: Double, hi: Double, size: Int) -> (Int, Int) {
    guard hi > 0, lo < Double(size), hi >= lo else { return (1, 0) }
    var a = Int((lo - 0.5).rounded(.up))
    var b = Int((hi - 0.5).rounded(.up)) - 1
    if b < a {
        let mid = Int(((lo + hi) / 2).rounded(.down))
        a = mid; b = mid
    }
    return (max(0, a), min(size - 1, b))
}

extension VOCAnnotation {
    /// Same as the free function `mask(for:in:includeDifficult:width:height:)`; handy where a
    /// local variable named `mask` would shadow it.
    public func mask(for className: String, includeDifficult: Bool, width: Int, height: Int) -> [Bool] {
        IGEval.mask(for: className, in: self, includeDifficult: includeDifficult, width: width, height: height)
    }
}
