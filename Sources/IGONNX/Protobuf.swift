/// A minimal protobuf wire-format reader over a byte array. Every read is
/// bounds-checked: malformed input throws `ProtoError`, never traps.

/// One decoded field value.
enum WireValue {
    case varint(UInt64)
    case fixed64(UInt64)
    /// A length-delimited payload: a byte range into the reader's buffer.
    case bytes(Range<Int>)
    case fixed32(UInt32)
}

struct ProtoReader {
    let buf: [UInt8]
    private(set) var pos: Int
    let end: Int

    init(_ buf: [UInt8]) {
        self.buf = buf; pos = 0; end = buf.count
    }

    init(_ buf: [UInt8], range: Range<Int>) {
        self.buf = buf; pos = range.lowerBound; end = range.upperBound
    }

    var atEnd: Bool { pos >= end }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw ProtoError(message: "truncated varint at byte \(pos)") }
            let b = buf[pos]
            pos += 1
            if shift >= 64 { throw ProtoError(message: "varint too long at byte \(pos)") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - pos >= 4 else { throw ProtoError(message: "truncated fixed32 at byte \(pos)") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(buf[pos + i]) << (8 * UInt32(i)) }
        pos += 4
        return v
    }

    mutating func readFixed64() throws -> UInt64 {
        guard end - pos >= 8 else { throw ProtoError(message: "truncated fixed64 at byte \(pos)") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(buf[pos + i]) << (8 * UInt64(i)) }
        pos += 8
        return v
    }

    /// The next (field number, value), or nil at the end of the message.
    mutating func next() throws -> (field: Int, value: WireValue)? {
        if pos >= end { return nil }
        let key = try readVarint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0, key >> 3 <= 0x1fff_ffff else { throw ProtoError(message: "bad field number \(key >> 3) at byte \(pos)") }
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1: return (field, .fixed64(try readFixed64()))
        case 2:
            let len = try readVarint()
            guard len <= UInt64(end - pos) else {
                throw ProtoError(message: "length \(len) of field \(field) runs past the end (byte \(pos) of \(end))")
            }
            let r = pos ..< pos + Int(len)
            pos += Int(len)
            return (field, .bytes(r))
        case 5: return (field, .fixed32(try readFixed32()))
        default:
            throw ProtoError(message: "unsupported wire type \(key & 7) for field \(field) at byte \(pos)")
        }
    }

    // MARK: typed helpers

    func string(_ r: Range<Int>) -> String {
        String(decoding: buf[r], as: UTF8.self)
    }

    static func int(_ v: WireValue) throws -> Int64 {
        switch v {
        case .varint(let x): return Int64(bitPattern: x)
        case .fixed64(let x): return Int64(bitPattern: x)
        case .fixed32(let x): return Int64(Int32(bitPattern: x))
        case .bytes: throw ProtoError(message: "expected an integer, got bytes")
        }
    }

    static func float(_ v: WireValue) throws -> Float {
        guard case .fixed32(let x) = v else { throw ProtoError(message: "expected a float") }
        return Float(bitPattern: x)
    }

    /// Repeated varints: packed (bytes) or one unpacked value.
    func varints(_ v: WireValue, into out: inout [Int64]) throws {
        switch v {
        case .bytes(let r):
            var sub = ProtoReader(buf, range: r)
            while !sub.atEnd { out.append(Int64(bitPattern: try sub.readVarint())) }
        default:
            out.append(try ProtoReader.int(v))
        }
    }

    /// Repeated floats: packed (bytes) or one unpacked value.
    func floats(_ v: WireValue, into out: inout [Float]) throws {
        switch v {
        case .bytes(let r):
            guard r.count % 4 == 0 else { throw ProtoError(message: "packed floats of \(r.count) bytes") }
            var sub = ProtoReader(buf, range: r)
            while !sub.atEnd { out.append(Float(bitPattern: try sub.readFixed32())) }
        case .fixed32(let x): out.append(Float(bitPattern: x))
        default: throw ProtoError(message: "expected floats")
        }
    }

    /// Repeated doubles: packed (bytes) or one unpacked value.
    func doubles(_ v: WireValue, into out: inout [Double]) throws {
        switch v {
        case .bytes(let r):
            guard r.count % 8 == 0 else { throw ProtoError(message: "packed doubles of \(r.count) bytes") }
            var sub = ProtoReader(buf, range: r)
            while !sub.atEnd { out.append(Double(bitPattern: try sub.readFixed64())) }
        case .fixed64(let x): out.append(Double(bitPattern: x))
        default: throw ProtoError(message: "expected doubles")
        }
    }

    func bytes(_ v: WireValue) throws -> Range<Int> {
        guard case .bytes(let r) = v else { throw ProtoError(message: "expected a length-delimited field") }
        return r
    }
}
