import Foundation
import IGImaging
import IGModel

extension ModelOptions {
    /// Loads the chosen model (or the bundled one).
    func load() throws -> Model {
        guard let b = Backend(rawValue: backend) else {
            throw CLIError("unknown backend '\(backend)' (choose: \(Backend.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var mode: ResizeMode?
        if let resize {
            guard let m = ResizeMode(rawValue: resize) else { throw CLIError("unknown resize mode '\(resize)' (choose: stretch, crop)") }
            mode = m
        }
        if let t = threads, t < 1 { throw CLIError("--threads must be at least 1") }
        return try Model(path: model ?? Assets.defaultModel(), backend: b, threads: threads, resize: mode)
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
