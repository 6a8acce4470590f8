/// Integer lists in IGONNX's messages are printed whole only when short.
///
/// A crafted file can fold a constant of millions of values into an attribute-like input
/// (pads, a Reshape target, axes); printing it whole in an error message took 25 s and
/// hundreds of MB (fuzz finding 6: ConstantOfShape of 16,776,964 values reaching Pad). These
/// overloads are more specific than the standard library's generic `appendInterpolation`, so
/// every `"\(pads)"` in this module goes through them: up to 16 values print exactly as Swift
/// would print them; a longer list prints its first 8 values and its length.
extension DefaultStringInterpolation {
    mutating func appendInterpolation(_ values: [Int]) { appendLiteral(boundedDescription(values)) }
    mutating func appendInterpolation(_ values: [Int64]) { appendLiteral(boundedDescription(values)) }
    mutating func appendInterpolation(_ values: [[Int]]) {
        appendLiteral(values.count <= 16 ? "[" + values.map(boundedDescription).joined(separator: ", ") + "]"
                                         : "[" + values.prefix(8).map(boundedDescription).joined(separator: ", ") + ", ... (\(values.count) lists)]")
    }
}

/// `[1, 2, 3]` for up to 16 values, else `[1, 2, ..., 8, ... (N values)]`.
func boundedDescription<T: BinaryInteger>(_ values: [T]) -> String {
    if values.count <= 16 { return values.description }
    return "[" + values.prefix(8).map { String($0) }.joined(separator: ", ") + ", ... (\(values.count) values)]"
}
