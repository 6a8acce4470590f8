import Foundation
import IGEngine

/// Module paths (dotted, outermost first) of the PyTorch module an ONNX node
/// came from: from "pkg.torch.onnx.name_scopes" / "namespace" metadata
/// (dynamo=True exports) or from a "/a/b/Op" node name (dynamo=False).
func moduleScopes(_ n: NodeMsg) -> [String] {
    if let s = n.metadata.first(where: { $0.0 == "pkg.torch.onnx.name_scopes" })?.1 {
        // A Python list literal: ['', 'layer1', 'layer1.0', 'layer1.0.relu', 'relu_2']
        let items = s.split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: " []'\""))
        }
        return modulePaths(scopes: Array(items.dropFirst().dropLast()))
    }
    if let s = n.metadata.first(where: { $0.0 == "namespace" })?.1 {
        // ": Root/layer1: Sequential/layer1.0: BasicBlock/add: aten.add.Tensor"
        let items = s.split(separator: "/").map { String($0.split(separator: ":").first ?? "").trimmingCharacters(in: .whitespaces) }
        return modulePaths(scopes: Array(items.dropLast()))
    }
    if n.name.hasPrefix("/") {
        return modulePaths(scopes: n.name.split(separator: "/").dropLast().map(String.init))
    }
    return []
}

/// The module owning a Conv/Gemm's weight, from a "<module>.weight"
/// initializer name (dynamo=True exports name a BN-fused Conv after the BN).
func weightModule(_ n: NodeMsg) -> String? {
    guard n.opType == "Conv" || n.opType == "Gemm", n.inputs.count > 1 else { return nil }
    let w = n.inputs[1]
    guard w.hasSuffix(".weight"), !w.contains("/"), !w.contains(":") else { return nil }
    let m = String(w.dropLast(".weight".count))
    return m.isEmpty ? nil : m
}

/// Alias for each tensor that is the last output of some module: the
/// deepest such module that has submodules, else the deepest one. E.g.
/// "/layer4/layer4.2/relu_2/Relu_output_0" -> "layer4.2".
func computeAliases(nodes: [Node], origin: [String: NodeMsg]) -> [String: String] {
    var lastOutput = [String: String]()
    var all = Set<String>()
    var fromWeight = Set<String>()
    for node in nodes {
        guard let n = origin[node.output] else { continue }
        var scopes = moduleScopes(n)
        if let w = weightModule(n), !scopes.contains(w) {
            scopes.append(w)
            fromWeight.insert(w)
        }
        for m in scopes { lastOutput[m] = node.output; all.insert(m) }
    }
    func depth(_ m: String) -> Int { m.split(separator: ".").count }
    var hasChildren = Set<String>()
    for m in all {
        var p = m
        while let dot = p.lastIndex(of: ".") {
            p = String(p[..<dot])
            if all.contains(p) { hasChildren.insert(p) }
        }
    }
    var byTensor = [String: [String]]()
    for (m, t) in lastOutput { byTensor[t, default: []].append(m) }
    var aliases = [String: String]()
    for (t, ms) in byTensor {
        let parents = ms.filter { hasChildren.contains($0) }
        let weights = ms.filter { fromWeight.contains($0) }
        let pool = !parents.isEmpty ? parents : !weights.isEmpty ? weights : ms
        if let best = pool.max(by: { (depth($0), $0.count) < (depth($1), $1.count) }) { aliases[t] = best }
    }
    return aliases
}
