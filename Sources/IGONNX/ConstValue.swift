import IGEngine

/// A constant known at load time. Integers stay exact (int64); every float
/// type is held as Float. Booleans are integers 0/1.
struct ConstValue {
    enum Storage { case float([Float]), int([Int64]) }
    var shape: [Int]
    var storage: Storage

    init(shape: [Int], floats: [Float]) { self.shape = shape; storage = .float(floats) }
    init(shape: [Int], ints: [Int64]) { self.shape = shape; storage = .int(ints) }

    var count: Int { shape.reduce(1, *) }
    var isInt: Bool { if case .int = storage { return true } else { return false } }

    var floats: [Float] {
        switch storage {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    var ints: [Int64] {
        switch storage {
        case .int(let i): return i
        case .float(let f): return f.map { $0.isFinite ? Int64(max(-9.2e18, min(9.2e18, $0))) : 0 }
        }
    }

    /// As Ints (for shapes, axes, pads), clamped to a safe range.
    var intValues: [Int] { ints.map { Int(max(-(1 << 62), min(1 << 62, $0))) } }

    var tensor: Tensor { Tensor(shape: shape, data: floats) }

    /// Element `i` as a one-element value of the same kind.
    func element(_ i: Int) -> ConstValue {
        switch storage {
        case .float(let f): return ConstValue(shape: [], floats: [f[i]])
        case .int(let v): return ConstValue(shape: [], ints: [v[i]])
        }
    }

    /// Gather elements by flat source index into a new shape.
    func gather(_ indices: [Int], shape newShape: [Int]) -> ConstValue {
        switch storage {
        case .float(let f): return ConstValue(shape: newShape, floats: indices.map { f[$0] })
        case .int(let v): return ConstValue(shape: newShape, ints: indices.map { v[$0] })
        }
    }
}

/// ONNX TensorProto.DataType names, for messages.
func dataTypeName(_ t: Int) -> String {
    let names = [0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
                 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
                 15: "COMPLEX128", 16: "BFLOAT16"]
    return names[t] ?? "type \(t)"
}

/// IEEE half to single precision.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1f)
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * Float(bitPattern: 0x3380_0000)  // 2^-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
}

/// The most values one activation of one image may hold (2^28 floats = 1 GiB): a model whose
/// shapes ask for more is refused at load, before any allocation.
let maxTensorElements = 1 << 28

/// Multiply dims, failing on negatives or overflow past 2^31 elements.
func checkedCount(_ dims: [Int64]) -> Int? {
    var n: Int64 = 1
    for d in dims {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        guard !o, p <= Int64(Int32.max) else { return nil }
        n = p
    }
    return Int(n)
}

/// Decode a TensorProto (inline or raw bytes already loaded) into a constant.
func decodeTensor(_ t: TensorProtoMsg, raw: [UInt8]?) throws -> ConstValue {
    guard let n = checkedCount(t.dims) else {
        throw ProtoError(message: "tensor '\(t.name)' has dims \(t.dims): a negative dimension or more than 2^31 values, refused")
    }
    let shape = t.dims.map { Int($0) }
    func rawElems(_ size: Int) throws -> [UInt8]? {
        guard let raw = raw else { return nil }
        guard raw.count == n * size else {
            throw ProtoError(message: "tensor '\(t.name)' of shape \(shape) (\(dataTypeName(t.dataType))) needs \(n * size) bytes, has \(raw.count)")
        }
        return raw
    }
    func le(_ b: [UInt8], _ i: Int, _ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<size { v |= UInt64(b[i * size + k]) << (8 * UInt64(k)) }
        return v
    }
    func need<T>(_ a: [T]) throws -> [T] {
        guard a.count == n else {
            throw ProtoError(message: "tensor '\(t.name)' of shape \(shape) has \(a.count) values, needs \(n)")
        }
        return a
    }
    switch t.dataType {
    case 1:  // FLOAT
        if let b = try rawElems(4) { return ConstValue(shape: shape, floats: (0..<n).map { Float(bitPattern: UInt32(le(b, $0, 4))) }) }
        return ConstValue(shape: shape, floats: try need(t.floatData))
    case 10:  // FLOAT16 (non-raw: bit patterns in int32_data)
        if let b = try rawElems(2) { return ConstValue(shape: shape, floats: (0..<n).map { halfToFloat(UInt16(le(b, $0, 2))) }) }
        return ConstValue(shape: shape, floats: try need(t.int32Data).map { halfToFloat(UInt16(truncatingIfNeeded: $0)) })
    case 11:  // DOUBLE
        if let b = try rawElems(8) { return ConstValue(shape: shape, floats: (0..<n).map { Float(Double(bitPattern: le(b, $0, 8))) }) }
        return ConstValue(shape: shape, floats: try need(t.doubleData).map { Float($0) })
    case 7:  // INT64
        if let b = try rawElems(8) { return ConstValue(shape: shape, ints: (0..<n).map { Int64(bitPattern: le(b, $0, 8)) }) }
        return ConstValue(shape: shape, ints: try need(t.int64Data))
    case 6:  // INT32
        if let b = try rawElems(4) { return ConstValue(shape: shape, ints: (0..<n).map { Int64(Int32(bitPattern: UInt32(le(b, $0, 4)))) }) }
        return ConstValue(shape: shape, ints: try need(t.int32Data).map { Int64(Int32(truncatingIfNeeded: $0)) })
    case 2, 9:  // UINT8, BOOL
        if let b = try rawElems(1) { return ConstValue(shape: shape, ints: b.map { Int64($0) }) }
        return ConstValue(shape: shape, ints: try need(t.int32Data).map { $0 & 0xff })
    case 3:  // INT8
        if let b = try rawElems(1) { return ConstValue(shape: shape, ints: b.map { Int64(Int8(bitPattern: $0)) }) }
        return ConstValue(shape: shape, ints: try need(t.int32Data))
    default:
        throw UnsupportedType(type: t.dataType, tensor: t.name)
    }
}

struct UnsupportedType: Error {
    var type: Int
    var tensor: String
}
