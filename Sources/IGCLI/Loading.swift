import Foundation
import IGEngine
import IGFast
import IGImaging
import IGModel

/// Which engine runs the network. The command line chooses (`--backend`,
/// fast by default); IGModel runs whatever engine it is given.
public enum Backend: String, Sendable, CaseIterable {
    /// oneDNN, blocked layouts (the default).
    case fast
    /// Plain Swift, one op at a time: slow, obviously right.
    case reference

    /// Builds this backend's engine for a graph; `threads`: oneDNN threads
    /// per call (the fast backend only; nil: all cores).
    public func engine(threads: Int?) -> (Graph) throws -> any InferenceEngine {
        switch self {
        case .fast: return { try FastEngine(graph: $0, threads: threads) }
        case .reference: return { ReferenceEngine(graph: $0) }
        }
    }
}

extension ModelOptions {
    /// Loads the chosen model (or the bundled one).
    func load() throws -> Model {
        try validate()
        return try Model(path: model ?? Assets.defaultModel(), engine: backend.engine(threads: threads), resize: resize)
    }
}

/// Reads an image, turning any failure into a message that names the file.
func readImage(_ path: String) throws -> RGBImage {
    try loadImage(path: path)
}

/// JSON output with sorted keys, one document per call.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
