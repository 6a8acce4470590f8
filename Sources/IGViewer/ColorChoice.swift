import Foundation
import IGRender

/// A bad `--color` value.
public struct ViewerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The values of `--color`.
public enum ColorChoice: String, CaseIterable, Sendable {
    case auto, truecolor
    case c256 = "256", c16 = "16", c8 = "8"

    /// A value or an alias (24bit, direct, rgb for truecolor; "" for auto), case-insensitive.
    public init?(name: String) {
        switch name.lowercased() {
        case "truecolor", "24bit", "direct", "rgb": self = .truecolor
        case "auto", "": self = .auto
        case let n: guard let c = ColorChoice(rawValue: n) else { return nil }; self = c
        }
    }
}

/// The colour mode from `--color` (auto, truecolor, 256, 16, 8) and the
/// environment: truecolor for a `*-direct` TERM or COLORTERM=truecolor|24bit,
/// else 256 (lowered later if the terminal has fewer colours).
public func chooseColorMode(_ flag: String, environment env: [String: String]) throws -> (mode: ColorMode, forced: Bool) {
    guard let choice = ColorChoice(name: flag) else {
        throw ViewerError("unknown colour mode '\(flag)' (choose: auto, truecolor, 256, 16, 8)")
    }
    switch choice {
    case .truecolor: return (.truecolor, true)
    case .c256: return (.c256, true)
    case .c16: return (.c16, true)
    case .c8: return (.c8, true)
    case .auto: break
    }
    let term = env["TERM"] ?? ""
    let ct = (env["COLORTERM"] ?? "").lowercased()
    if term.hasSuffix("-direct") || ct == "truecolor" || ct == "24bit" { return (.truecolor, false) }
    return (.c256, false)
}

/// The terminfo source of a direct-colour entry that sends the semicolon
/// form `ESC[38;2;R;G;Bm` (more terminals accept it than the colon form).
let directEntrySource = """
    igcam-direct|igcam: xterm-256color with 24-bit colour (semicolon form),
    \tuse=xterm+indirect, use=xterm-256color,

    """

/// Compiles `igcam-direct` into a cache directory with `tic -x -o DIR` once
/// and returns that directory, or nil when it cannot (then xterm-direct is used).
func directTerminfoDirectory(environment env: [String: String]) -> String? {
    let cacheRoot = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
        ?? env["HOME"].map { $0 + "/.cache" } ?? NSTemporaryDirectory()
    let dir = cacheRoot + "/igcam/terminfo"
    let fm = FileManager.default
    if fm.fileExists(atPath: dir + "/i/igcam-direct") { return dir }
    do {
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = dir + "/igcam-direct.src"
        try directEntrySource.write(toFile: src, atomically: true, encoding: .utf8)
        let tic = ["/usr/bin/tic", "/bin/tic", "/usr/local/bin/tic"].first { fm.isExecutableFile(atPath: $0) }
        guard let tic else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tic)
        p.arguments = ["-x", "-o", dir, src]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0 && fm.fileExists(atPath: dir + "/i/igcam-direct") ? dir : nil
    } catch {
        return nil
    }
}
