import ArgumentParser
import Foundation
import IGModel

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the interactive viewer (the default command).")

    @Argument(help: "Images or folders (default: the bundled photos).")
    var paths: [String] = []

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Colour mode: auto, truecolor, 256, 16, 8.")
    var color: String = "auto"

    func run() throws {
        throw CLIError("the viewer is not built yet")
    }
}
