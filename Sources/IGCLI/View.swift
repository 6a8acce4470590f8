import ArgumentParser
import Foundation
import IGModel
import IGViewer

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the interactive viewer (the default command).")

    @Argument(help: "Images or folders (default: the bundled photos).")
    var paths: [String] = []

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Colour mode (truecolor also as 24bit, direct, rgb).")
    var color: ColorChoice = .auto

    @Option(name: .long, help: "How many classes the panel lists.")
    var top: Int = 5

    @Option(name: .long, help: "Replay keys from FILE: one key per line (m, Up, Enter, ...), `type TEXT`, `sleep SECONDS`, `wait` (for the map), # comments.")
    var script: String?

    @Option(name: .long, help: "Write an asciinema v2 recording of the session to FILE (e.g. talk.cast).")
    var record: String?

    @Option(name: .long, help: "Pixel graphics for the image panel (auto asks the terminal; blocks when it cannot).")
    var graphics: GraphicsChoice = .off

    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse (clicks on the picture then do not move the probe, and the terminal's text selection works as usual).")
    var noMouse = false

    /// Usage errors (exit 2), checked while parsing, before the (slow) model load.
    func validate() throws {
        guard top >= 1, top <= 50 else { throw ValidationError("--top must be from 1 to 50") }
    }

    func run() throws {
        let images = paths.isEmpty ? Assets.photos() : paths
        guard !images.isEmpty else { throw CLIError("no images given and the bundled photos are missing; pass image files or folders") }
        // The script and the recording's folder are checked before the model load too.
        let steps = try script.map { path -> [ScriptStep] in
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the script \(path)") }
            do { return try parseScript(String(decoding: data, as: UTF8.self)) } catch { throw CLIError("\(path): \(error)") }
        }
        if let record { try checkWritable(record) }
        let model = try modelOptions.load()
        let status = try runViewer(paths: images, model: model,
                                   options: ViewerOptions(color: color.rawValue, topK: top, script: steps, record: record, graphics: graphics, mouse: !noMouse))
        // The terminal is restored. Leave at once: a background job may still be inside a
        // oneDNN/OpenMP region, and running static destructors under it can stall the exit.
        fflush(nil)   // every output stream (stdout, stderr), without naming the C globals
        _exit(status)
    }
}
