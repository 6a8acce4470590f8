import Foundation

/// igcam's one way of naming a class (`--class` of explain and bench, the
/// viewer's `/` search). `text` is trimmed, then:
/// - a whole number is a class index, which must be in 0..<labels.count;
/// - else a label equal to it (ignoring case) is the class, if exactly one is
///   (ImageNet has two "crane"s and two "maillot"s: then it is ambiguous);
/// - else a label containing it (ignoring case) is the class, if exactly one does;
/// - otherwise an error: empty text, an index out of range, no label
///   matching, or several (naming up to five, with their indices, so an
///   index can be given instead).
public func lookUpClass(_ text: String, labels: [String]) throws -> Int {
    let q = text.trimmingCharacters(in: .whitespaces).lowercased()
    guard !q.isEmpty else { throw ModelError("give a class name or index") }
    if let i = Int(q) {
        guard labels.indices.contains(i) else { throw ModelError("class \(i) is out of range 0..<\(labels.count)") }
        return i
    }
    func unique(_ hits: [Int]) throws -> Int? {
        if hits.count == 1 { return hits[0] }
        if hits.isEmpty { return nil }
        let some = hits.prefix(5).map { "\($0) (\(labels[$0]))" }.joined(separator: ", ")
        throw ModelError("class '\(text)' is ambiguous: \(some)\(hits.count > 5 ? ", ... (\(hits.count) in all)" : "")")
    }
    let lower = labels.map { $0.lowercased() }
    if let exact = try unique(lower.indices.filter { lower[$0] == q }) { return exact }
    if let part = try unique(lower.indices.filter { lower[$0].contains(q) }) { return part }
    throw ModelError("no class named '\(text)'")
}
