import Foundation

/// Maps dataset class names (VOC annotation names) to ImageNet-1k class indices
/// (standard order, 0...999), read from JSON such as `assets/voc/classmap-imagenet.json`:
/// `{"aeroplane": [404, 895], "person": [], "_none": ["person"], "_comment": "..."}`.
///
/// Keys starting with `_` are metadata; `_none` (optional) lists names with no ImageNet-1k
/// class. A name mapped to several indices: the evaluation explains the **one the model
/// scores highest among them** (`target(for:scores:)`). A name with `[]` or absent cannot be
/// evaluated with an ImageNet model.
public struct ClassMap: Sendable {
    /// Name -> indices, in file order of the indices.
    public let mapping: [String: [Int]]
    /// Names the file declares to have no ImageNet-1k class (`_none`).
    public let unmapped: [String]

    /// Throws `EvalError.fileNotFound`, or `.malformedFile` naming the file and the bad key
    /// (not a JSON object, a value that is not an integer array, an index outside 0...999).
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw EvalError.fileNotFound(path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.malformedFile(path: path, reason: "cannot be read")
        }
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw EvalError.malformedFile(path: path, reason: "invalid JSON: \(error.localizedDescription)")
        }
        guard let obj = any as? [String: Any] else {
            throw EvalError.malformedFile(path: path, reason: "top level is not a JSON object")
        }
        var mapping: [String: [Int]] = [:]
        var unmapped: [String] = []
        for (key, value) in obj {
            if key == "_none" {
                guard let names = value as? [String] else {
                    throw EvalError.malformedFile(path: path, reason: "\"_none\" must be an array of names")
                }
                unmapped = names
                continue
            }
            if key.hasPrefix("_") { continue }
            guard let arr = value as? [Any] else {
                throw EvalError.malformedFile(path: path, reason: "\"\(key)\" must map to an array of class indices")
            }
            var idx: [Int] = []
            for v in arr {
                let n: Int?
                if v is Bool { n = nil } else if let i = v as? Int { n = i } else if let d = v as? Double,
                    d.rounded() == d, abs(d) < 1e9 { n = Int(d) } else { n = nil }
                guard let n, (0...999).contains(n) else {
                    throw EvalError.malformedFile(path: path, reason: "\"\(key)\": \(v) is not an ImageNet class index 0...999")
                }
                idx.append(n)
            }
            mapping[key] = idx
        }
        self.mapping = mapping
        self.unmapped = unmapped.sorted()
    }

    /// The ImageNet indices of `name`; empty if unmapped or unknown.
    public func classes(for name: String) -> [Int] { mapping[name] ?? [] }

    /// The index among `classes(for: name)` with the highest `scores[index]` (first on ties),
    /// or nil if the name has no class or `scores` is too short for them.
    public func target(for name: String, scores: [Float]) -> Int? {
        let cs = classes(for: name).filter { $0 < scores.count }
        guard !cs.isEmpty, cs.count == classes(for: name).count else { return nil }
        var best = cs[0]
        for c in cs.dropFirst() where scores[c] > scores[best] { best = c }
        return best
    }
}
