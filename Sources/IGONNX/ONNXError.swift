/// An error reading or lowering an ONNX model. The description names the
/// file and, where relevant, the node and its op type.
public struct ONNXError: Error, CustomStringConvertible, Sendable {
    /// The model file (or the name given for in-memory data).
    public var file: String
    /// The ONNX node involved, if any.
    public var node: String?
    /// Its op type, if any.
    public var opType: String?
    /// What went wrong.
    public var message: String

    public init(file: String, node: String? = nil, opType: String? = nil, message: String) {
        self.file = file; self.node = node; self.opType = opType; self.message = message
    }

    public var description: String {
        var s = "\(file): "
        if let node = node {
            s += "node '\(node)'"
            if let op = opType { s += " (\(op))" }
            s += ": "
        } else if let op = opType {
            s += "\(op): "
        }
        return s + message
    }
}

/// A wire-format problem found by the protobuf decoder (no file name yet).
struct ProtoError: Error {
    var message: String
}
