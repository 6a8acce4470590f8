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

    @Option(name: .long, help: "Colour mode: auto, truecolor, 256, 16, 8.")
    var color: String = "auto"

    @Option(name: .long, help: "How many classes the panel lists.")
    var top: Int = 5

    /// Usage errors (exit 2), checked while parsing, before the (slow) model load.
    func validate() throws {
        guard top >= 1, top <= 50 else { throw ValidationError("--top must be from 1 to 50") }
        do { _ = try chooseColorMode(color, environment: [:]) } catch { throw ValidationError("--color: \(error)") }
    }

    func run() throws {
        let images = paths.isEmpty ? Assets.photos() : paths
        guard !images.isEmpty else { throw CLIError("no images given and the bundled photos are missing; pass image files or folders") }
        let model = try modelOptions.load()
        let status = try runViewer(paths: images, model: model, options: ViewerOptions(color: color, topK: top))
        // The terminal is restored. Leave at once: a background job may still be inside a
        // oneDNN/OpenMP region, and running static destructors under it can stall the exit.
        fflush(stdout)
        fflush(stderr)
        _exit(status)
    }
}
