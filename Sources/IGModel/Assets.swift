import Foundation

/// Where the bundled model and photos live: `$IGCAM_ASSETS`, else an
/// `assets` folder beside or above the executable (a source checkout's
/// `.build/release/igcam` finds the repository's `assets/`), else
/// `/usr/local/share/igcam/assets`, else `./assets`.
public enum Assets {
    public static var directory: String? {
        let fm = FileManager.default
        var candidates = [String]()
        if let env = ProcessInfo.processInfo.environment["IGCAM_ASSETS"] { candidates.append(env) }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("assets").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates += ["/usr/local/share/igcam/assets", fm.currentDirectoryPath + "/assets"]
        return candidates.first { fm.fileExists(atPath: $0 + "/models") }
    }

    /// The bundled model (EfficientNet-Lite0, ImageNet-1k).
    public static func defaultModel() throws -> String {
        guard let d = directory else { throw ModelError("cannot find the bundled assets folder; set IGCAM_ASSETS or pass --model") }
        let p = d + "/models/efficientnet-lite0.onnx"
        guard FileManager.default.fileExists(atPath: p) else { throw ModelError("\(p): the bundled model is missing") }
        return p
    }

    /// The bundled photos, sorted by name.
    public static func photos() -> [String] {
        guard let d = directory, let items = try? FileManager.default.contentsOfDirectory(atPath: d + "/photos") else { return [] }
        return items.filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted().map { d + "/photos/" + $0 }
    }
}
