/// Writes a float32 array as a NumPy .npy file (format version 1.0, dtype
/// '<f4', C order, header padded so the data starts at a multiple of 64
/// bytes), atomically (temporary file + fsync + rename).
/// Throws `ImageError` if `data.count` is not the product of `shape` or a
/// dimension is negative.
public func writeNPY(_ data: [Float], shape: [Int], to path: String) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
        throw ImageError(.invalidArgument, path: path, "negative dimension in shape \(shape)")
    }
    let n = shape.reduce(1, *)
    guard n == data.count else {
        throw ImageError(.invalidArgument, path: path, "shape \(shape) needs \(n) values, got \(data.count)")
    }
    let shapeText: String
    switch shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(shape[0]),)"
    default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    let hl = header.utf8.count
    guard hl <= 65535 else { throw ImageError(.invalidArgument, path: path, "shape \(shape) too long for an .npy header") }
    bytes.append(UInt8(hl & 0xFF)); bytes.append(UInt8(hl >> 8))
    bytes.append(contentsOf: Array(header.utf8))
    bytes.reserveCapacity(bytes.count + 4 * data.count)
    for v in data {
        let b = v.bitPattern.littleEndian
        bytes.append(UInt8(truncatingIfNeeded: b)); bytes.append(UInt8(truncatingIfNeeded: b >> 8))
        bytes.append(UInt8(truncatingIfNeeded: b >> 16)); bytes.append(UInt8(truncatingIfNeeded: b >> 24))
    }
    try writeAtomically(bytes, to: path)
}

/// Reads a NumPy .npy file (format versions 1.0, 2.0, 3.0) holding
/// little-endian float32 ('<f4') or float64 ('<f8', converted to Float) in C
/// order. Throws `ImageError` naming the file for any other dtype, Fortran
/// order, a malformed header, or a data size that does not match the shape.
public func readNPY(path: String) throws -> (shape: [Int], data: [Float]) {
    try decodeNPY(readFileBytes(path), path: path)
}

/// Parses .npy bytes already in memory; `path` is used in error messages only.
public func decodeNPY(_ bytes: [UInt8], path: String) throws -> (shape: [Int], data: [Float]) {
    if bytes.isEmpty { throw ImageError(.emptyFile, path: path) }
    guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else {
        throw ImageError(.unknownFormat, path: path, "not a .npy file (bad magic)")
    }
    let major = bytes[6]
    var headerStart = 10, headerLen = 0
    switch major {
    case 1: headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
    case 2, 3:
        guard bytes.count >= 12 else { throw ImageError(.truncated, path: path, ".npy header cut short") }
        headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        headerStart = 12
    default: throw ImageError(.unsupported, path: path, ".npy format version \(major)")
    }
    guard headerStart + headerLen <= bytes.count else {
        throw ImageError(.truncated, path: path, ".npy header cut short")
    }
    let headerBytes = bytes[headerStart..<(headerStart + headerLen)]
    let header = String(decoding: headerBytes, as: UTF8.self)
    guard let descr = npyField(headerBytes, "descr") else {
        throw ImageError(.corrupt, path: path, ".npy header has no 'descr': \(header)")
    }
    let descrValue = descr.trimmingCharacters(in: " '\"")
    let itemSize: Int
    switch descrValue {
    case "<f4": itemSize = 4
    case "<f8": itemSize = 8
    default:
        throw ImageError(.unsupported, path: path, ".npy dtype '\(descrValue)' (only '<f4' and '<f8' are read)")
    }
    if let fo = npyField(headerBytes, "fortran_order"), fo.trimmingCharacters(in: " ") != "False" {
        throw ImageError(.unsupported, path: path, ".npy in Fortran order")
    }
    guard let shapeField = npyField(headerBytes, "shape") else {
        throw ImageError(.corrupt, path: path, ".npy header has no 'shape': \(header)")
    }
    let inner = shapeField.trimmingCharacters(in: " ()")
    var shape: [Int] = []
    for part in inner.split(separator: ",") {
        let t = String(part).trimmingCharacters(in: " L")
        if t.isEmpty { continue }
        guard let d = Int(t), d >= 0 else { throw ImageError(.corrupt, path: path, ".npy shape '\(shapeField)'") }
        shape.append(d)
    }
    var count = 1
    for d in shape {
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow else { throw ImageError(.corrupt, path: path, ".npy shape \(shape): the element count overflows") }
        count = p
    }
    let start = headerStart + headerLen
    let (need, overflow) = count.multipliedReportingOverflow(by: itemSize)
    guard !overflow else { throw ImageError(.corrupt, path: path, ".npy shape \(shape): the byte count overflows") }
    guard bytes.count - start >= need else {
        throw ImageError(.truncated, path: path, ".npy data: shape \(shape) needs \(need) bytes, file has \(bytes.count - start)")
    }
    var out = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
        for i in 0..<count {
            if itemSize == 4 {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
            } else {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
            }
        }
    }
    return (shape, out)
}

/// The raw text of `key`'s value in a .npy header dict (up to the next
/// top-level comma or closing brace; tuples kept whole). Works on the header's
/// bytes: every delimiter is ASCII, and UTF-8 never uses ASCII bytes inside a
/// multi-byte character, so this finds what a scan of the characters finds
/// without building an array of Characters and one array per position.
private func npyField(_ header: ArraySlice<UInt8>, _ key: String) -> String? {
    let h = Array(header)
    for needle in ["'\(key)'", "\"\(key)\""] {
        let nd = Array(needle.utf8)
        guard nd.count <= h.count,
              let at = (0...(h.count - nd.count)).first(where: { p in h[p..<(p + nd.count)].elementsEqual(nd) }) else { continue }
        var i = at + nd.count
        while i < h.count, h[i] == UInt8(ascii: " ") { i += 1 }
        guard i < h.count, h[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        let start = i
        var depth = 0
        while i < h.count {
            let c = h[i]
            if c == UInt8(ascii: "(") { depth += 1 } else if c == UInt8(ascii: ")") { depth -= 1 }
            if depth == 0 && (c == UInt8(ascii: ",") || c == UInt8(ascii: "}")) { break }
            if depth < 0 { return nil }
            i += 1
        }
        return String(decoding: h[start..<i], as: UTF8.self)
    }
    return nil
}

private extension String {
    /// Strips any of `set`'s characters from both ends.
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
