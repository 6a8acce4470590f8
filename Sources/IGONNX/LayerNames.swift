import IGEngine

/// Finding a layer (tensor) of an imported graph from what a user types: an
/// exact tensor name, an alias (PyTorch module path), or a module scope
/// (torch "/a/b/Op" and tf2onnx "a/b/Op:0" tensor names).

/// An unknown or ambiguous layer name. `candidates` lists a few names that would work.
public struct LayerNameError: Error, CustomStringConvertible, Sendable {
    public var name: String
    public var ambiguous: Bool
    public var candidates: [String]

    public var description: String {
        let list = candidates.isEmpty ? "" : ": " + candidates.joined(separator: ", ")
        if ambiguous { return "layer '\(name)' is ambiguous; it matches several modules\(list)" }
        return "no layer named '\(name)'" + (candidates.isEmpty ? "" : "; some layers are\(list)")
    }
}

/// Dotted module paths from "/"-separated scope components, e.g.
/// ["layer4", "layer4.2", "relu_2"] -> ["layer4", "layer4.2", "layer4.2.relu_2"].
func modulePaths(scopes: [String]) -> [String] {
    var out = [String]()
    var path = ""
    for c in scopes where !c.isEmpty {
        if path.isEmpty || c.hasPrefix(path + ".") { path = c } else { path += "." + c }
        out.append(path)
    }
    return out
}

extension Graph {
    /// Module paths a node output belongs to: from a "/a/b/Op_output_0"
    /// (torch) or "a/b/Op:0" (tf2onnx) style tensor name and from its alias
    /// (with all enclosing modules). `stripped`: also TensorFlow's
    /// uniquifying "_<digits>" suffix removed from each scope
    /// ("functional_1/block5_conv3_1/Relu:0" -> module "functional.block5_conv3").
    func modulePaths(of tensor: String, stripped: Bool = false) -> [String] {
        var paths = [String]()
        if tensor.contains("/") {
            var comps = tensor.split(separator: "/").map(String.init)
            comps.removeLast()
            if stripped { comps = comps.map(stripUniquifier) }
            paths += IGONNX.modulePaths(scopes: comps)
        }
        if !stripped, let a = aliases[tensor] {
            let parts = a.split(separator: ".", omittingEmptySubsequences: false)
            for i in 1...max(1, parts.count) where i <= parts.count {
                paths.append(parts[..<i].joined(separator: "."))
            }
        }
        return paths
    }

    /// Resolve a user-supplied layer name to a tensor name: an exact tensor
    /// name, else an exact alias, else the output of the unique module whose
    /// path equals or ends with `name` (as dotted components; `/a/b` is read
    /// as module path `a.b`). A module's output is the last node output in
    /// graph order inside that module.
    public func resolveLayer(_ name: String) throws -> String {
        if name == input || nodes.contains(where: { $0.output == name }) { return name }
        if let hit = nodes.last(where: { aliases[$0.output] == name }) { return hit.output }
        if let t = aliases.first(where: { $0.value == name })?.key { return t }

        let comps = name.split(separator: "/").map(String.init)
        let query = comps.count > 1 ? (IGONNX.modulePaths(scopes: comps).last ?? name) : name
        guard !query.isEmpty else { throw LayerNameError(name: name, ambiguous: false, candidates: examples(near: name)) }
        // Scopes as written first; then with TensorFlow's "_1" suffixes dropped.
        for stripped in [false, true] {
            var lastOf = [String: String]()
            var order = [String]()
            for n in nodes {
                for p in modulePaths(of: n.output, stripped: stripped) where p == query || p.hasSuffix("." + query) {
                    if lastOf[p] == nil { order.append(p) }
                    lastOf[p] = n.output
                }
            }
            if order.count == 1, let t = lastOf[order[0]] { return t }
            if order.count > 1 {
                throw LayerNameError(name: name, ambiguous: true, candidates: Array(order.prefix(6)))
            }
        }
        throw LayerNameError(name: name, ambiguous: false, candidates: examples(near: name))
    }

    /// A few layer names to suggest: those sharing text with `name`, else the last few candidates.
    func examples(near name: String) -> [String] {
        let all = candidateLayers.map { $0.alias ?? $0.name }
        let low = name.lowercased()
        let close = all.filter { !low.isEmpty && ($0.lowercased().contains(low) || low.contains($0.lowercased())) }
        return Array((close.isEmpty ? Array(all.suffix(6)) : Array(close.suffix(6))))
    }
}

/// "block5_conv3_1" -> "block5_conv3"; names without such a suffix unchanged.
func stripUniquifier(_ s: String) -> String {
    guard let u = s.lastIndex(of: "_"), s.index(after: u) < s.endIndex,
          s[s.index(after: u)...].allSatisfy(\.isNumber), u > s.startIndex else { return s }
    return String(s[..<u])
}
