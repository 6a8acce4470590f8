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
        let obj: [String: ClassMapEntry]
        do { obj = try JSONDecoder().decode([String: ClassMapEntry].self, from: data) } catch {
            throw EvalError.malformedFile(path: path, reason: "not a JSON object of class-index arrays: \(error)")
        }
        var mapping: [String: [Int]] = [:]
        var unmapped: [String] = []
        for (key, value) in obj {
            switch (key, value) {
            case ("_none", .names(let names)):
                unmapped = names
            case ("_none", .indices(let idx)) where idx.isEmpty:
                unmapped = []
            case ("_none", _):
                throw EvalError.malformedFile(path: path, reason: "\"_none\" must be an array of names")
            case (_, _) where key.hasPrefix("_"):
                continue
            case (_, .indices(let idx)):
                if let bad = idx.first(where: { !(0...999).contains($0) }) {
                    throw EvalError.malformedFile(path: path, reason: "\"\(key)\": \(bad) is not an ImageNet class index 0...999")
                }
                mapping[key] = idx
            default:
                throw EvalError.malformedFile(path: path, reason: "\"\(key)\" must map to an array of integer class indices")
            }
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

/// One JSON value of a class-map file: an integer array, a string array, or anything else
/// (strings, numbers, objects: allowed only under `_` metadata keys).
enum ClassMapEntry: Decodable {
    case indices([Int])
    case names([String])
    case other

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode([Int].self) { self = .indices(v) }
        else if let v = try? c.decode([String].self) { self = .names(v) }
        else { self = .other }
    }
}
