import IGEngine

/// Load-time evaluation of the shape arithmetic exporters emit, on exact
/// constants. Each function throws `FoldError` on bad inputs.

struct FoldError: Error { var message: String }

/// Ops that are evaluated when all their inputs are constants.
let foldableOps: Set<String> = [
    "Constant", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "ConstantOfShape", "Range",
    "Reshape", "Mul", "Add", "Div", "Sub", "Expand", "Equal", "Where", "Identity", "Transpose", "Neg",
    "Flatten", "Less", "Greater", "Not", "Sqrt", "Floor", "Ceil", "Abs", "Max", "Min",
]

func normAxis(_ a: Int, _ rank: Int) throws -> Int {
    let r = a < 0 ? a + rank : a
    guard r >= 0, r < rank else { throw FoldError(message: "axis \(a) out of range for rank \(rank)") }
    return r
}

/// Largest element count a load-time constant may have.
let maxFoldElements = 1 << 24

/// Largest element count of an integer constant made at load time (shape arithmetic).
let maxFoldedIntegers = 1 << 16

/// How many values all the constants made at load time may hold together, for a model of
/// `bytes` bytes (file and external data): 2^22, or four values per byte read. A constant taken
/// from the file holds at most one value per byte (a float one per four), so every weight may go
/// through at least four folded ops (a Transpose, a Reshape...); what goes past it is data the
/// file does not hold, made by ConstantOfShape, Expand or Range and carried on.
func foldBudget(bytes: Int) -> Int {
    let (p, overflow) = bytes.multipliedReportingOverflow(by: 4)
    return max(1 << 22, overflow ? .max : p)
}

/// Product of `s`, or nil on a negative entry or a product above `limit`
/// (by default the largest load-time constant).
func checkedProduct(_ s: [Int], limit: Int = maxFoldElements) -> Int? { IGEngine.checkedProduct(s, limit: limit) }

func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        guard x == y || x == 1 || y == 1 else { throw FoldError(message: "shapes \(a) and \(b) do not broadcast") }
        out[i] = x == 1 ? y : x
    }
    guard checkedProduct(out) != nil else { throw FoldError(message: "constant of shape \(out) is too large") }
    return out
}

/// For each element of `out`, the flat index into a tensor of shape `s` broadcast to it.
func broadcastIndices(_ s: [Int], to out: [Int]) -> [Int] {
    let n = out.reduce(1, *)
    let off = out.count - s.count
    var strides = [Int](repeating: 0, count: out.count)
    var acc = 1
    for i in stride(from: s.count - 1, through: 0, by: -1) {
        strides[i + off] = s[i] == 1 ? 0 : acc
        acc *= s[i]
    }
    var idx = [Int](repeating: 0, count: n)
    var coord = [Int](repeating: 0, count: out.count)
    for k in 0..<n {
        var f = 0
        for d in 0..<out.count { f += coord[d] * strides[d] }
        idx[k] = f
        var d = out.count - 1
        while d >= 0 { coord[d] += 1; if coord[d] < out[d] { break }; coord[d] = 0; d -= 1 }
    }
    return idx
}

func binary(_ a: ConstValue, _ b: ConstValue, int fi: (Int64, Int64) throws -> Int64,
            float ff: (Float, Float) -> Float) throws -> ConstValue {
    let out = try broadcastShapes(a.shape, b.shape)
    let ia = broadcastIndices(a.shape, to: out), ib = broadcastIndices(b.shape, to: out)
    if a.isInt && b.isInt {
        let x = a.ints, y = b.ints
        return ConstValue(shape: out, ints: try zip(ia, ib).map { try fi(x[$0.0], y[$0.1]) })
    }
    let x = a.floats, y = b.floats
    return ConstValue(shape: out, floats: zip(ia, ib).map { ff(x[$0.0], y[$0.1]) })
}

/// Row-major coordinates helper: calls body with the flat index of each source element.
func permuteIndices(_ shape: [Int], perm: [Int]) -> (shape: [Int], idx: [Int]) {
    let outShape = perm.map { shape[$0] }
    var inStrides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { inStrides[i] = acc; acc *= shape[i] }
    let st = perm.map { inStrides[$0] }
    return (outShape, broadcastLike(outShape, strides: st))
}

/// Flat source indices for walking `out` with per-axis source strides (and offset).
func broadcastLike(_ out: [Int], strides: [Int], offset: Int = 0) -> [Int] {
    let n = out.reduce(1, *)
    var idx = [Int](repeating: 0, count: n)
    var coord = [Int](repeating: 0, count: out.count)
    for k in 0..<n {
        var f = offset
        for d in 0..<out.count { f += coord[d] * strides[d] }
        idx[k] = f
        var d = out.count - 1
        while d >= 0 { coord[d] += 1; if coord[d] < out[d] { break }; coord[d] = 0; d -= 1 }
    }
    return idx
}

func rowStrides(_ s: [Int]) -> [Int] {
    var st = [Int](repeating: 1, count: s.count)
    var acc = 1
    for i in stride(from: s.count - 1, through: 0, by: -1) { st[i] = acc; acc *= s[i] }
    return st
}

/// Resolve an ONNX Reshape target (0 copies, one -1 inferred) against `shape`.
func resolveReshape(_ target: [Int], input shape: [Int], allowZero: Bool = false) throws -> [Int] {
    guard let total = checkedProduct(shape, limit: 1 << 40), target.allSatisfy({ abs($0) < 1 << 31 }) else {
        throw FoldError(message: "Reshape of \(shape) to \(target): sizes out of range")
    }
    var out = target
    var minus = -1
    for (i, t) in target.enumerated() {
        if t == 0 && !allowZero {
            guard i < shape.count else { throw FoldError(message: "Reshape target \(target): 0 at axis \(i) past input rank") }
            out[i] = shape[i]
        } else if t == -1 {
            guard minus < 0 else { throw FoldError(message: "Reshape target \(target) has two -1") }
            minus = i
        } else if t < 0 {
            throw FoldError(message: "Reshape target \(target) has a negative size")
        }
    }
    if minus >= 0 {
        let known = checkedProduct(out.enumerated().filter { $0.offset != minus }.map { $0.element }, limit: 1 << 40) ?? 0
        guard known > 0, total % known == 0 else { throw FoldError(message: "cannot reshape \(shape) to \(target)") }
        out[minus] = total / known
    }
    guard checkedProduct(out, limit: 1 << 40) == total else { throw FoldError(message: "cannot reshape \(shape) to \(target)") }
    return out
}

func sliceIndices(shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws -> (shape: [Int], idx: [Int]) {
    let rank = shape.count
    var begin = [Int](repeating: 0, count: rank)
    var step = [Int](repeating: 1, count: rank)
    var size = shape
    let ax = try (axes ?? Array(0..<starts.count)).map { try normAxis($0, rank) }
    guard starts.count == ends.count, ax.count == starts.count, (steps?.count ?? starts.count) == starts.count else {
        throw FoldError(message: "Slice: starts/ends/axes/steps lengths differ")
    }
    for (k, a) in ax.enumerated() {
        let d = shape[a]
        let s0 = steps?[k] ?? 1
        let s = s0 > 0 ? min(s0, d + 1) : max(s0, -(d + 1))
        guard s != 0 else { throw FoldError(message: "Slice: step 0") }
        var st = starts[k], en = ends[k]
        if st < 0 { st += d }
        if en < 0 { en += d }
        if s > 0 {
            st = min(max(st, 0), d); en = min(max(en, 0), d)
            size[a] = en > st ? (en - st + s - 1) / s : 0
        } else {
            st = min(max(st, 0), d - 1); en = min(max(en, -1), d - 1)
            size[a] = st > en ? (st - en + (-s) - 1) / (-s) : 0
        }
        begin[a] = st; step[a] = s
    }
    let rs = rowStrides(shape)
    let offset = (0..<rank).reduce(0) { $0 + begin[$1] * rs[$1] }
    let strides = (0..<rank).map { rs[$0] * step[$0] }
    return (size, broadcastLike(size, strides: strides, offset: offset))
}
