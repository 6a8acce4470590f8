/// A dense float32 tensor in row-major (C) order. Images are NCHW.
///
/// A value type: copies share storage until one of them is written to.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A scalar of shape [].
    public init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Row-major strides of `shape`.
    public var strides: [Int] { Tensor.strides(of: shape) }

    public static func strides(of shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// The same values with another shape of equal size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Batch item `n` (first axis) as a tensor with leading dimension 1.
    public func item(_ n: Int) -> Tensor {
        let per = count / shape[0]
        var s = shape
        s[0] = 1
        return Tensor(shape: s, data: Array(data[n * per ..< (n + 1) * per]))
    }

    /// Concatenate along the first (batch) axis.
    public static func batch(_ items: [Tensor]) -> Tensor {
        precondition(!items.isEmpty)
        var s = items[0].shape
        s[0] = items.reduce(0) { $0 + $1.shape[0] }
        var d = [Float]()
        d.reserveCapacity(s.reduce(1, *))
        for t in items {
            precondition(Array(t.shape.dropFirst()) == Array(items[0].shape.dropFirst()), "Tensor.batch: shapes differ")
            d.append(contentsOf: t.data)
        }
        return Tensor(shape: s, data: d)
    }

    /// Largest absolute value (0 for an empty tensor).
    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }

    public var description: String {
        let head = data.prefix(6).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 6 ? ", ..." : "")])"
    }
}

import Foundation

/// max |a - b| / max |b|: the relative error used by every parity test.
public func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "relativeError: shapes \(a.shape) and \(b.shape) differ")
    var num: Float = 0
    for i in 0..<a.count { num = max(num, abs(a.data[i] - b.data[i])) }
    let den = b.maxAbs
    return den == 0 ? num : num / den
}

/// The product of `dims` (a tensor's element count), or nil when a dimension
/// is negative or the product overflows or exceeds `limit`: the one checked
/// element count for shapes read from files (ONNX folding, the fuzz targets).
public func checkedProduct(_ dims: [Int], limit: Int = .max) -> Int? {
    var n = 1
    for d in dims {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        guard !o, p <= limit else { return nil }
        n = p
    }
    return n
}
