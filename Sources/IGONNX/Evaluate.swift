/// Evaluate one foldable ONNX node on constant inputs (`nil` = omitted optional input).
func evaluateConstant(_ n: NodeMsg, _ ins: [ConstValue?], opset: Int, decode: (TensorProtoMsg) throws -> ConstValue) throws -> ConstValue {
    func input(_ i: Int) throws -> ConstValue {
        guard i < ins.count, let v = ins[i] else { throw FoldError(message: "missing input \(i)") }
        return v
    }
    func optional(_ i: Int) -> ConstValue? { i < ins.count ? ins[i] : nil }
    switch n.opType {
    case "Constant":
        if let a = n.attribute("value"), let t = a.t { return try decode(t) }
        if let a = n.attribute("value_float"), let f = a.f { return ConstValue(shape: [], floats: [f]) }
        if let a = n.attribute("value_int"), let i = a.i { return ConstValue(shape: [], ints: [i]) }
        if let a = n.attribute("value_floats") { return ConstValue(shape: [a.floats.count], floats: a.floats) }
        if let a = n.attribute("value_ints") { return ConstValue(shape: [a.ints.count], ints: a.ints) }
        throw FoldError(message: "Constant without a supported value attribute")
    case "Identity":
        return try input(0)
    case "Cast":
        let x = try input(0)
        let to = try n.int("to", 1)
        switch to {
        case 1, 10, 11, 16: return ConstValue(shape: x.shape, floats: x.floats)
        case 9: return ConstValue(shape: x.shape, ints: x.floats.map { $0 != 0 ? 1 : 0 })
        case 2, 3, 4, 5, 6, 7, 12, 13: return ConstValue(shape: x.shape, ints: x.ints)
        default: throw FoldError(message: "Cast to \(dataTypeName(to))")
        }
    case "Add": return try binary(try input(0), try input(1), int: { $0 &+ $1 }, float: { $0 + $1 })
    case "Sub": return try binary(try input(0), try input(1), int: { $0 &- $1 }, float: { $0 - $1 })
    case "Mul": return try binary(try input(0), try input(1), int: { $0 &* $1 }, float: { $0 * $1 })
    case "Div":
        return try binary(try input(0), try input(1), int: {
            guard $1 != 0 else { throw FoldError(message: "integer division by zero") }
            return $1 == -1 ? 0 &- $0 : $0 / $1
        }, float: { $0 / $1 })
    case "Max": return try binary(try input(0), try input(1), int: { max($0, $1) }, float: { max($0, $1) })
    case "Min": return try binary(try input(0), try input(1), int: { min($0, $1) }, float: { min($0, $1) })
    case "Equal", "Less", "Greater":
        let a = try input(0), b = try input(1)
        let op = n.opType
        let fi: (Int64, Int64) -> Bool = op == "Equal" ? { $0 == $1 } : op == "Less" ? { $0 < $1 } : { $0 > $1 }
        let ff: (Float, Float) -> Bool = op == "Equal" ? { $0 == $1 } : op == "Less" ? { $0 < $1 } : { $0 > $1 }
        let r = try binary(a, b, int: { fi($0, $1) ? 1 : 0 }, float: { ff($0, $1) ? 1 : 0 })
        return ConstValue(shape: r.shape, ints: r.ints)
    case "Not":
        let x = try input(0)
        return ConstValue(shape: x.shape, ints: x.ints.map { $0 == 0 ? 1 : 0 })
    case "Neg", "Abs", "Sqrt", "Floor", "Ceil":
        let x = try input(0)
        if x.isInt, n.opType == "Neg" { return ConstValue(shape: x.shape, ints: x.ints.map { 0 &- $0 }) }
        if x.isInt, n.opType == "Abs" { return ConstValue(shape: x.shape, ints: x.ints.map { $0 < 0 ? 0 &- $0 : $0 }) }
        let f: (Float) -> Float = ["Neg": { -$0 }, "Abs": { abs($0) }, "Sqrt": { $0.squareRoot() },
                                   "Floor": { $0.rounded(.down) }, "Ceil": { $0.rounded(.up) }][n.opType] ?? { $0 }
        return ConstValue(shape: x.shape, floats: x.floats.map(f))
    case "Where":
        let c = try input(0), a = try input(1), b = try input(2)
        let out = try broadcastShapes(try broadcastShapes(c.shape, a.shape), b.shape)
        let ic = broadcastIndices(c.shape, to: out), ia = broadcastIndices(a.shape, to: out), ib = broadcastIndices(b.shape, to: out)
        let cv = c.ints
        if a.isInt && b.isInt {
            let x = a.ints, y = b.ints
            return ConstValue(shape: out, ints: (0..<ic.count).map { cv[ic[$0]] != 0 ? x[ia[$0]] : y[ib[$0]] })
        }
        let x = a.floats, y = b.floats
        return ConstValue(shape: out, floats: (0..<ic.count).map { cv[ic[$0]] != 0 ? x[ia[$0]] : y[ib[$0]] })
    case "Gather":
        let x = try input(0), ind = try input(1)
        let axis = try normAxis(try n.int("axis", 0), x.shape.count)
        let d = x.shape[axis]
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        guard checkedProduct([outer, ind.count, inner]) != nil else { throw FoldError(message: "Gather result too large") }
        var idx = [Int]()
        let iv = try ind.intValues.map { i -> Int in
            let j = i < 0 ? i + d : i
            guard j >= 0, j < d else { throw FoldError(message: "Gather index \(i) out of range \(d)") }
            return j
        }
        for o in 0..<outer { for j in iv { for k in 0..<inner { idx.append((o * d + j) * inner + k) } } }
        return x.gather(idx, shape: Array(x.shape[..<axis]) + ind.shape + Array(x.shape[(axis + 1)...]))
    case "Unsqueeze":
        let x = try input(0)
        let axes = try (opset >= 13 ? optional(1)?.intValues : n.ints("axes")) ?? []
        let r = x.shape.count + axes.count
        var s = x.shape
        for a in try axes.map({ try normAxis($0, r) }).sorted() {
            guard a <= s.count else { throw FoldError(message: "Unsqueeze axis \(a)") }
            s.insert(1, at: a)
        }
        return ConstValue(shape: s, storage: x.storage)
    case "Squeeze":
        let x = try input(0)
        let ax = try (opset >= 13 ? optional(1)?.intValues : n.ints("axes"))
        let axes = try ax.map { try $0.map { try normAxis($0, x.shape.count) } } ?? x.shape.indices.filter { x.shape[$0] == 1 }
        for a in axes where x.shape[a] != 1 { throw FoldError(message: "Squeeze of axis \(a) of size \(x.shape[a])") }
        return ConstValue(shape: x.shape.enumerated().filter { !axes.contains($0.offset) }.map { $0.element }, storage: x.storage)
    case "Flatten":
        let x = try input(0)
        let a = try normAxis(try n.int("axis", 1), x.shape.count + 1)
        return ConstValue(shape: [x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)], storage: x.storage)
    case "Concat":
        let vs = try (0..<ins.count).map { try input($0) }
        guard let first = vs.first else { throw FoldError(message: "Concat without inputs") }
        let axis = try normAxis(try n.int("axis", 0), first.shape.count)
        var outShape = first.shape
        outShape[axis] = 0
        guard checkedProduct(vs.map { $0.count }.reduce(into: [0]) { $0[0] += $1 }) != nil else { throw FoldError(message: "Concat too large") }
        for v in vs {
            guard v.shape.count == first.shape.count,
                  v.shape.indices.allSatisfy({ $0 == axis || v.shape[$0] == first.shape[$0] }) else {
                throw FoldError(message: "Concat shapes \(vs.map { $0.shape }) differ off axis \(axis)")
            }
            outShape[axis] += v.shape[axis]
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let anyFloat = vs.contains { !$0.isInt }
        var fo = [Float](), io = [Int64]()
        for o in 0..<outer {
            for v in vs {
                let chunk = v.shape[axis...].reduce(1, *)
                if anyFloat { fo += v.floats[o * chunk ..< (o + 1) * chunk] } else { io += v.ints[o * chunk ..< (o + 1) * chunk] }
            }
        }
        return anyFloat ? ConstValue(shape: outShape, floats: fo) : ConstValue(shape: outShape, ints: io)
    case "Slice":
        let x = try input(0)
        let starts, ends: [Int]
        var axes: [Int]? = nil, steps: [Int]? = nil
        if opset >= 10 {
            starts = try input(1).intValues; ends = try input(2).intValues
            axes = optional(3)?.intValues; steps = optional(4)?.intValues
        } else {
            starts = try n.ints("starts") ?? []; ends = try n.ints("ends") ?? []; axes = try n.ints("axes")
        }
        let (s, idx) = try sliceIndices(shape: x.shape, starts: starts, ends: ends, axes: axes, steps: steps)
        return x.gather(idx, shape: s)
    case "Transpose":
        let x = try input(0)
        let perm = try n.ints("perm") ?? Array((0..<x.shape.count).reversed())
        guard perm.sorted() == Array(0..<x.shape.count) else { throw FoldError(message: "bad perm \(perm)") }
        let (s, idx) = permuteIndices(x.shape, perm: perm)
        return x.gather(idx, shape: s)
    case "Reshape":
        let x = try input(0)
        let s = try resolveReshape(try input(1).intValues, input: x.shape, allowZero: try n.int("allowzero", 0) != 0)
        return ConstValue(shape: s, storage: x.storage)
    case "Expand":
        let x = try input(0)
        let out = try broadcastShapes(x.shape, try input(1).intValues)
        return x.gather(broadcastIndices(x.shape, to: out), shape: out)
    case "ConstantOfShape":
        let s = try input(0).intValues
        guard let cnt = checkedProduct(s) else { throw FoldError(message: "bad shape \(s)") }
        if let t = n.attribute("value")?.t {
            let v = try decode(t)
            guard v.count == 1 else { throw FoldError(message: "ConstantOfShape value must have one element") }
            return v.isInt ? ConstValue(shape: s, ints: Array(repeating: v.ints[0], count: cnt))
                           : ConstValue(shape: s, floats: Array(repeating: v.floats[0], count: cnt))
        }
        return ConstValue(shape: s, floats: Array(repeating: 0, count: cnt))
    case "Range":
        let a = try input(0), b = try input(1), d = try input(2)
        guard a.count == 1, b.count == 1, d.count == 1 else { throw FoldError(message: "Range needs scalar inputs") }
        if a.isInt && b.isInt && d.isInt {
            let s = a.ints[0], e = b.ints[0], st = d.ints[0]
            guard st != 0 else { throw FoldError(message: "Range with delta 0") }
            let (span, o1) = e.subtractingReportingOverflow(s)
            guard !o1, abs(span) < 1 << 40, abs(st) < 1 << 40 else { throw FoldError(message: "Range too long") }
            let cnt = max(0, (span + st - (st > 0 ? 1 : -1)) / st)
            guard cnt < 1 << 24 else { throw FoldError(message: "Range too long") }
            return ConstValue(shape: [Int(cnt)], ints: (0..<cnt).map { s + $0 * st })
        }
        let s = a.floats[0], e = b.floats[0], st = d.floats[0]
        guard st != 0, st.isFinite, s.isFinite, e.isFinite else { throw FoldError(message: "bad Range") }
        let q = ((e - s) / st).rounded(.up)
        guard q.isFinite, q < Float(1 << 24) else { throw FoldError(message: "Range too long") }
        let cnt = max(0, Int(q))
        guard cnt < 1 << 24 else { throw FoldError(message: "Range too long") }
        return ConstValue(shape: [cnt], floats: (0..<cnt).map { s + Float($0) * st })
    default:
        throw FoldError(message: "cannot evaluate \(n.opType) at load time")
    }
}

extension ConstValue {
    init(shape: [Int], storage: Storage) { self.shape = shape; self.storage = storage }
}
