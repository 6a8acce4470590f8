import ArgumentParser
import Foundation
import IGExplain
import IGFast
import IGImaging
import IGModel

/// The `igcam` command line. Plain `igcam` opens the viewer on the bundled
/// model and photos.
public enum IGCLI {
    public static func run() {
        // libgomp reads its wait policy at load time; spinning workers cost 3-9x on a busy
        // machine (docs/PERFORMANCE.md). Re-executes once with PASSIVE unless the user chose.
        OpenMPPolicy.reexecWithPassiveWaitPolicyIfUnset()
        lineBufferStandardOutput()
        var command: ParsableCommand
        do {
            command = try Igcam.parseAsRoot()
        } catch {
            exitForParseError(error)
        }
        do {
            try command.run()
        } catch let e as ValidationError {
            usageError(e.message)
        } catch let e as UsageError {
            usageError(e.description)
        } catch let e as CleanExit {
            Igcam.exit(withError: e)
        } catch let e as ExitCode {
            Igcam.exit(withError: e)
        } catch where isArgumentParserError(error) {
            // `igcam --help`, `igcam help explain`: ArgumentParser hands back a help command whose
            // run() throws its own (internal) error type; it alone knows how to print it.
            exitForParseError(error)
        } catch {
            fail("\(error)")
        }
    }

    /// Exit codes: 0 success (and help), 1 a runtime failure (unreadable file, bad model...),
    /// 2 a usage error (unknown option, bad option value), as most Unix tools do.
    public static let usageExitCode: Int32 = 2

    /// Help and version requests as ArgumentParser prints them (exit 0); usage errors as
    /// `igcam: error: MESSAGE` plus the command's usage line, exit 2 (ArgumentParser's own
    /// code for these is 64, EX_USAGE).
    static func exitForParseError(_ error: Error) -> Never {
        let code = Igcam.exitCode(for: error)
        if code == .validationFailure {
            var text = Igcam.fullMessage(for: error)
            if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
            writeStderr("igcam: error: \(text)\n")
            exit(usageExitCode)
        }
        Igcam.exit(withError: error)
    }

    /// Prints `igcam: error: MESSAGE` to stderr and exits 2.
    static func usageError(_ message: String) -> Never {
        writeStderr("igcam: error: \(message)\n")
        exit(usageExitCode)
    }

    /// Parses and validates `arguments` (without the program name) as the command line,
    /// never running the command, and renders any message (help, usage error) as `run`
    /// would. Returns the exit code `run` would use for a parse failure, 0 when it parses.
    /// The fuzz target for option parsing (Sources/IGFuzzTargets).
    public static func parseOnly(_ arguments: [String]) -> Int32 {
        do {
            _ = try Igcam.parseAsRoot(arguments)
            return 0
        } catch {
            _ = Igcam.fullMessage(for: error)
            let code = Igcam.exitCode(for: error)
            return code == .validationFailure ? usageExitCode : code.rawValue
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
    var backend: Backend = .fast

    @Option(name: .long, help: "Threads for the fast engine, 1...\(ModelOptions.maxThreads) (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Resize mode, overriding the sidecar.")
    var resize: ResizeMode?

    static let maxThreads = 1024

    func validate() throws {
        if let t = threads, !(1...ModelOptions.maxThreads).contains(t) {
            throw ValidationError("--threads must be from 1 to \(ModelOptions.maxThreads) (got \(t))")
        }
    }
}

/// A bad option value found after parsing (it needs the model, say): `igcam: error: ...`, exit 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A failure the user can act on: printed as `igcam: error: ...`, exit 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func writeStderr(_ s: String) {
    FileHandle.standardError.write(s.data(using: .utf8) ?? Data())
}
