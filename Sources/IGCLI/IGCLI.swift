import ArgumentParser
import Foundation
import IGFast

/// The `igcam` command line. Plain `igcam` opens the viewer on the bundled
/// model and photos.
public enum IGCLI {
    public static func run() {
        // libgomp reads its wait policy at load time; spinning workers cost 3-9x on a busy
        // machine (docs/PERFORMANCE.md). Re-executes once with PASSIVE unless the user chose.
        OpenMPPolicy.reexecWithPassiveWaitPolicyIfUnset()
        // Keep line-buffered output when piped, so progress and results interleave sanely.
        setvbuf(stdout, nil, _IOLBF, 0)
        var command: ParsableCommand
        do {
            command = try Igcam.parseAsRoot()
        } catch {
            Igcam.exit(withError: error)   // help, usage errors: ArgumentParser's wording and exit codes
        }
        do {
            try command.run()
        } catch let e as ValidationError {
            Igcam.exit(withError: e)
        } catch let e as CleanExit {
            Igcam.exit(withError: e)
        } catch let e as ExitCode {
            Igcam.exit(withError: e)
        } catch where isArgumentParserError(error) {
            // `igcam --help`, `igcam help explain`: ArgumentParser hands back a help command whose
            // run() throws its own (internal) error type; it alone knows how to print it.
            Igcam.exit(withError: error)
        } catch {
            fail("\(error)")
        }
    }

    /// True for the errors ArgumentParser throws (help and usage requests, parse errors).
    static func isArgumentParserError(_ error: Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// Prints `igcam: error: MESSAGE` to stderr and exits 1.
    static func fail(_ message: String) -> Never {
        writeStderr("igcam: error: \(message)\n")
        exit(1)
    }
}

struct Igcam: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "igcam",
        abstract: "See what an image classifier looks at: Integrated Grad-CAM and its peers, live in the terminal.",
        discussion: """
            With no subcommand, opens the viewer on the bundled EfficientNet-Lite0 and photos. \
            Models are ONNX files with an optional JSON sidecar (NAME.json next to NAME.onnx).
            """,
        subcommands: [View.self, Classify.self, Layers.self, Explain.self, Evaluate.self, Score.self, Bench.self, Demo.self],
        defaultSubcommand: View.self
    )
}

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "ONNX model file (default: the bundled EfficientNet-Lite0).")
    var model: String?

    @Option(name: .long, help: "Engine: fast (oneDNN) or reference (plain Swift, slow).")
    var backend: String = "fast"

    @Option(name: .long, help: "Threads for the fast engine (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Resize mode, overriding the sidecar: stretch or crop.")
    var resize: String?
}

/// A failure the user can act on: printed as `igcam: error: ...`, exit 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func writeStderr(_ s: String) {
    FileHandle.standardError.write(s.data(using: .utf8) ?? Data())
}
