import Foundation
import IGImaging
import IGModel

extension ModelOptions {
    /// Loads the chosen model (or the bundled one).
    func load() throws -> Model {
        try validate()
        return try Model(path: model ?? Assets.defaultModel(), backend: backend, threads: threads, resize: resize)
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
