import IGEngine

/// A structure-aware mutator for protobuf files (ONNX models), for libFuzzer's
/// `LLVMFuzzerCustomMutator` (Fuzz/Sources/igcam-fuzz).
///
/// libFuzzer's own mutations insert, erase and change bytes, which nearly always breaks a
/// length prefix somewhere: in campaigns 2 to 5, 89-90 % of the onnx target's inputs were
/// refused by the protobuf reader and never reached the importer behind it. This mutator
/// reads the bytes as protobuf wire format without a schema (as `protoc --decode_raw` does: a
/// length-delimited field that reads whole as a message is taken for one), changes one field,
/// and writes the message back with every length right. What it may do to a field:
/// - a varint: set it to a boundary (0, 1, -1, 2^31, 2^32, 2^63...) or a neighbour of its value;
/// - a fixed32/fixed64: flip a bit or set it to a special float/double (NaN, inf, -0, huge);
/// - bytes (names, raw tensor data): hand them to libFuzzer's byte mutations (`mutateBytes`);
/// - a message: empty it, mutate its bytes as bytes, or change one of its fields;
/// - any field: delete it, repeat it, or put a copy of another field with its number there
///   (a node, a dimension, an attribute from elsewhere in the model).
public enum ProtobufMutator {
    /// One field's value, as the wire format says (groups, wire types 3 and 4, are refused).
    indirect enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])
        case message([Field])
    }

    struct Field: Equatable {
        var number: UInt64
        var value: Value
    }

    /// How deep nested messages are read; deeper length-delimited fields stay bytes.
    static let maxDepth = 16

    /// The fields of the message `b`, or nil when `b` is not well-formed wire format.
    static func parse(_ b: ArraySlice<UInt8>, depth: Int = 0) -> [Field]? {
        var i = b.startIndex
        var out: [Field] = []
        func varint() -> UInt64? {
            var r: UInt64 = 0, shift: UInt64 = 0
            while i < b.endIndex, shift < 64 {
                let c = b[i]
                i += 1
                r |= UInt64(c & 0x7F) << shift
                if c < 0x80 { return r }
                shift += 7
            }
            return nil
        }
        func little(_ n: Int) -> UInt64? {
            guard b.endIndex - i >= n else { return nil }
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(b[i + k]) << UInt64(8 * k) }
            i += n
            return v
        }
        while i < b.endIndex {
            guard let key = varint(), key >> 3 > 0 else { return nil }
            let number = key >> 3
            switch key & 7 {
            case 0:
                guard let v = varint() else { return nil }
                out.append(Field(number: number, value: .varint(v)))
            case 1:
                guard let v = little(8) else { return nil }
                out.append(Field(number: number, value: .fixed64(v)))
            case 5:
                guard let v = little(4) else { return nil }
                out.append(Field(number: number, value: .fixed32(UInt32(v))))
            case 2:
                guard let n = varint(), n <= UInt64(b.endIndex - i) else { return nil }
                let body = b[i..<(i + Int(n))]
                i += Int(n)
                if depth < maxDepth, !body.isEmpty, let sub = parse(body, depth: depth + 1) {
                    out.append(Field(number: number, value: .message(sub)))
                } else {
                    out.append(Field(number: number, value: .bytes(Array(body))))
                }
            default:
                return nil
            }
        }
        return out
    }

    /// The wire format of `fields` (lengths recomputed, varints in their shortest form).
    static func serialize(_ fields: [Field]) -> [UInt8] {
        var out: [UInt8] = []
        write(fields, into: &out)
        return out
    }

    private static func write(_ fields: [Field], into out: inout [UInt8]) {
        func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            out.append(UInt8(v))
        }
        func little(_ v: UInt64, _ n: Int) { for k in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) } }
        for f in fields {
            switch f.value {
            case .varint(let v): varint(f.number << 3); varint(v)
            case .fixed64(let v): varint(f.number << 3 | 1); little(v, 8)
            case .fixed32(let v): varint(f.number << 3 | 5); little(UInt64(v), 4)
            case .bytes(let b): varint(f.number << 3 | 2); varint(UInt64(b.count)); out += b
            case .message(let m):
                var sub: [UInt8] = []
                write(m, into: &sub)
                varint(f.number << 3 | 2); varint(UInt64(sub.count)); out += sub
            }
        }
    }

    /// A mutant of `data` of at most `maxSize` bytes, or nil when `data` is not protobuf (or the
    /// mutant would be too big): the caller then mutates the bytes as bytes.
    /// `mutateBytes(bytes, maxSize)` mutates one bytes field (libFuzzer's `LLVMFuzzerMutate`).
    public static func mutate(_ data: [UInt8], maxSize: Int, seed: UInt64,
                              mutateBytes: ([UInt8], Int) -> [UInt8]) -> [UInt8]? {
        guard var fields = parse(data[...]), !fields.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)   // seeded by libFuzzer, so a mutation replays
        var paths: [[Int]] = []
        collect(fields, prefix: [], into: &paths)
        let path = paths[rng.below(paths.count)]
        let f = field(fields, at: path)
        let budget = max(0, maxSize - data.count)
        let kind = rng.below(8)
        // Kind 2's replacement: another field with this number, from anywhere in the message.
        var other: Field?
        if kind == 2 {
            let same = paths.map { field(fields, at: $0) }.filter { $0.number == f.number && $0 != f }
            guard !same.isEmpty else { return nil }
            other = same[rng.below(same.count)]
        }
        let value = kind >= 3 ? changed(f.value, rng: &rng, budget: budget, mutateBytes: mutateBytes) : nil
        update(&fields, at: path) { siblings, k in
            switch kind {
            case 0: siblings.remove(at: k)          // delete it
            case 1: siblings.insert(f, at: k)       // repeat it
            case 2: siblings[k] = other!            // a copy of another with its number
            default: siblings[k].value = value!     // change its value
            }
        }
        let out = serialize(fields)
        return out.count <= maxSize && out != data ? out : nil
    }

    private static func changed(_ v: Value, rng: inout SplitMix64, budget: Int, mutateBytes: ([UInt8], Int) -> [UInt8]) -> Value {
        switch v {
        case .varint(let x):
            let choices: [UInt64] = [0, 1, 2, x &+ 1, x &- 1, x << 1, x >> 1, UInt64.max, UInt64.max - 1,
                                     1 << 31, (1 << 31) - 1, 1 << 32, 1 << 63, UInt64(rng.below(17)),
                                     UInt64(bitPattern: -Int64(rng.below(5)) - 1)]
            return .varint(choices[rng.below(choices.count)])
        case .fixed32(let x):
            let floats: [Float] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
            return .fixed32(rng.below(2) == 0 ? x ^ (1 << UInt32(rng.below(32))) : floats[rng.below(floats.count)].bitPattern)
        case .fixed64(let x):
            let doubles: [Double] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, .greatestFiniteMagnitude]
            return .fixed64(rng.below(2) == 0 ? x ^ (1 << UInt64(rng.below(64))) : doubles[rng.below(doubles.count)].bitPattern)
        case .bytes(let b):
            return .bytes(mutateBytes(b, b.count + min(budget, 64)))
        case .message(var m):
            // Emptied, its bytes mutated as bytes (a message the reader may not read), or one of
            // its fields changed.
            switch rng.below(4) {
            case 0: return .message([])
            case 1:
                let b = serialize(m)
                return .bytes(mutateBytes(b, b.count + min(budget, 64)))
            default:
                guard !m.isEmpty else { return .message(m) }
                let k = rng.below(m.count)
                m[k].value = changed(m[k].value, rng: &rng, budget: budget, mutateBytes: mutateBytes)
                return .message(m)
            }
        }
    }

    /// The index path of every field, depth first.
    private static func collect(_ fields: [Field], prefix: [Int], into paths: inout [[Int]]) {
        for (k, f) in fields.enumerated() {
            paths.append(prefix + [k])
            if case .message(let m) = f.value { collect(m, prefix: prefix + [k], into: &paths) }
        }
    }

    private static func field(_ fields: [Field], at path: [Int]) -> Field {
        let f = fields[path[0]]
        guard path.count > 1, case .message(let m) = f.value else { return f }
        return field(m, at: Array(path.dropFirst()))
    }

    /// Calls `body` with the list holding the field at `path` and its index there.
    private static func update(_ fields: inout [Field], at path: [Int], _ body: (inout [Field], Int) -> Void) {
        if path.count == 1 { body(&fields, path[0]); return }
        guard case .message(var m) = fields[path[0]].value else { return }
        update(&m, at: Array(path.dropFirst()), body)
        fields[path[0]].value = .message(m)
    }
}

extension SplitMix64 {
    /// A number in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
