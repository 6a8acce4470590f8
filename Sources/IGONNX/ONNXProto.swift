/// The subset of the ONNX protobuf schema (onnx.proto) the importer reads.
/// Field numbers follow onnx/onnx.proto; unknown fields are skipped.

struct TensorProtoMsg {
    var dims: [Int64] = []
    var dataType: Int = 0
    var floatData: [Float] = []
    var int32Data: [Int64] = []
    var int64Data: [Int64] = []
    var doubleData: [Double] = []
    var name = ""
    var rawData: [UInt8]? = nil
    var externalData: [(String, String)] = []
    var dataLocation: Int = 0

    init() {}

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: try r.varints(v, into: &dims)
            case 2: dataType = Int(truncatingIfNeeded: try ProtoReader.int(v))
            case 4: try r.floats(v, into: &floatData)
            case 5: try r.varints(v, into: &int32Data)
            case 7: try r.varints(v, into: &int64Data)
            case 8: name = r.string(try r.bytes(v))
            case 9: rawData = Array(r.buf[try r.bytes(v)])
            case 10: try r.doubles(v, into: &doubleData)
            case 13: externalData.append(try parseStringPair(&r, v))
            case 14: dataLocation = Int(truncatingIfNeeded: try ProtoReader.int(v))
            default: break
            }
        }
    }
}

struct AttributeMsg {
    var name = ""
    var type = 0
    var f: Float? = nil
    var i: Int64? = nil
    var s: String? = nil
    var t: TensorProtoMsg? = nil
    var floats: [Float] = []
    var ints: [Int64] = []
    var strings: [String] = []
    var hasGraph = false

    init(_ r: inout ProtoReader) throws {
        while let (fn, v) = try r.next() {
            switch fn {
            case 1: name = r.string(try r.bytes(v))
            case 2: f = try ProtoReader.float(v)
            case 3: i = try ProtoReader.int(v)
            case 4: s = r.string(try r.bytes(v))
            case 5:
                var sub = ProtoReader(r.buf, range: try r.bytes(v))
                t = try TensorProtoMsg(&sub)
            case 6: hasGraph = true
            case 7: try r.floats(v, into: &floats)
            case 8: try r.varints(v, into: &ints)
            case 9: strings.append(r.string(try r.bytes(v)))
            case 20: type = Int(truncatingIfNeeded: try ProtoReader.int(v))
            default: break
            }
        }
    }
}

struct NodeMsg {
    var inputs: [String] = []
    var outputs: [String] = []
    var name = ""
    var opType = ""
    var domain = ""
    var attributes: [AttributeMsg] = []
    var metadata: [(String, String)] = []

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: inputs.append(r.string(try r.bytes(v)))
            case 2: outputs.append(r.string(try r.bytes(v)))
            case 3: name = r.string(try r.bytes(v))
            case 4: opType = r.string(try r.bytes(v))
            case 5:
                var sub = ProtoReader(r.buf, range: try r.bytes(v))
                attributes.append(try AttributeMsg(&sub))
            case 7: domain = r.string(try r.bytes(v))
            case 9: metadata.append(try parseStringPair(&r, v))
            default: break
            }
        }
    }

    func attribute(_ name: String) -> AttributeMsg? { attributes.first { $0.name == name } }
}

/// A tensor dimension: a value, a symbolic name, or unknown.
enum DimMsg { case value(Int64), param(String), unknown }

struct ValueInfoMsg {
    var name = ""
    var elemType = 0
    /// nil when the type has no shape.
    var dims: [DimMsg]? = nil

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1: name = r.string(try r.bytes(v))
            case 2:  // TypeProto
                var tp = ProtoReader(r.buf, range: try r.bytes(v))
                while let (tf, tv) = try tp.next() {
                    guard tf == 1 else { continue }  // tensor_type
                    var tt = ProtoReader(r.buf, range: try r.bytes(tv))
                    while let (ef, ev) = try tt.next() {
                        if ef == 1 { elemType = Int(truncatingIfNeeded: try ProtoReader.int(ev)) }
                        if ef == 2 {  // TensorShapeProto
                            var out = [DimMsg]()
                            var sp = ProtoReader(r.buf, range: try r.bytes(ev))
                            while let (sf, sv) = try sp.next() {
                                guard sf == 1 else { continue }
                                var d = DimMsg.unknown
                                var dp = ProtoReader(r.buf, range: try r.bytes(sv))
                                while let (df, dv) = try dp.next() {
                                    if df == 1 { d = .value(try ProtoReader.int(dv)) }
                                    if df == 2 { d = .param(dp.string(try dp.bytes(dv))) }
                                }
                                out.append(d)
                            }
                            dims = out
                        }
                    }
                }
            default: break
            }
        }
    }
}

struct GraphMsg {
    var nodes: [NodeMsg] = []
    var name = ""
    var initializers: [TensorProtoMsg] = []
    var inputs: [ValueInfoMsg] = []
    var outputs: [ValueInfoMsg] = []
    var valueInfo: [ValueInfoMsg] = []

    init(_ r: inout ProtoReader) throws {
        while let (f, v) = try r.next() {
            switch f {
            case 1, 5, 11, 12, 13:
                var sub = ProtoReader(r.buf, range: try r.bytes(v))
                switch f {
                case 1: nodes.append(try NodeMsg(&sub))
                case 5: initializers.append(try TensorProtoMsg(&sub))
                case 11: inputs.append(try ValueInfoMsg(&sub))
                case 12: outputs.append(try ValueInfoMsg(&sub))
                default: valueInfo.append(try ValueInfoMsg(&sub))
                }
            case 2: name = r.string(try r.bytes(v))
            default: break
            }
        }
    }
}

struct ModelMsg {
    var irVersion: Int64 = 0
    var opsets: [(domain: String, version: Int64)] = []
    var producerName = ""
    var graph: GraphMsg? = nil
    var metadata: [(String, String)] = []

    init(_ buf: [UInt8]) throws {
        var r = ProtoReader(buf)
        while let (f, v) = try r.next() {
            switch f {
            case 1: irVersion = try ProtoReader.int(v)
            case 2: producerName = r.string(try r.bytes(v))
            case 7:
                var sub = ProtoReader(buf, range: try r.bytes(v))
                graph = try GraphMsg(&sub)
            case 8:
                var sub = ProtoReader(buf, range: try r.bytes(v))
                var d = "", ver: Int64 = 0
                while let (of, ov) = try sub.next() {
                    if of == 1 { d = sub.string(try sub.bytes(ov)) }
                    if of == 2 { ver = try ProtoReader.int(ov) }
                }
                opsets.append((d, ver))
            case 14: metadata.append(try parseStringPair(&r, v))
            default: break
            }
        }
    }

    /// The default-domain opset version (0 if none is declared).
    var opset: Int {
        Int(truncatingIfNeeded: opsets.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version ?? 0)
    }
}

/// A StringStringEntryProto (key 1, value 2).
func parseStringPair(_ r: inout ProtoReader, _ v: WireValue) throws -> (String, String) {
    var sub = ProtoReader(r.buf, range: try r.bytes(v))
    var k = "", val = ""
    while let (f, fv) = try sub.next() {
        if f == 1 { k = sub.string(try sub.bytes(fv)) }
        if f == 2 { val = sub.string(try sub.bytes(fv)) }
    }
    return (k, val)
}
