/// Typed attribute access on an ONNX node; wrong types throw `FoldError`.
extension NodeMsg {
    func int(_ name: String, _ def: Int) throws -> Int {
        guard let a = attribute(name) else { return def }
        guard let i = a.i else { throw FoldError(message: "attribute '\(name)' is not an int") }
        return Int(max(-(1 << 62), min(1 << 62, i)))
    }

    func float(_ name: String, _ def: Float) throws -> Float {
        guard let a = attribute(name) else { return def }
        if let f = a.f { return f }
        if let i = a.i { return Float(i) }
        throw FoldError(message: "attribute '\(name)' is not a float")
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = attribute(name) else { return nil }
        if a.ints.isEmpty, let i = a.i { return [Int(max(-(1 << 62), min(1 << 62, i)))] }
        return a.ints.map { Int(max(-(1 << 62), min(1 << 62, $0))) }
    }

    func string(_ name: String, _ def: String) throws -> String {
        guard let a = attribute(name) else { return def }
        guard let s = a.s else { throw FoldError(message: "attribute '\(name)' is not a string") }
        return s
    }
}
