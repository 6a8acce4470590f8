import Foundation

/// One step of a `--script` file.
public enum ScriptStep: Equatable, Sendable {
    /// Press a key.
    case key(Key)
    /// Pause this many seconds.
    case sleep(Double)
    /// Wait until the current map (and, for Integrated Grad-CAM, its ladder) is final or failed.
    case waitMap
}

/// Parses a script for `igcam view --script FILE`. One step per line:
///
///     # a comment (also after a step: `m  # next method`)
///     m              a key: one character (m, +, ?, q ...)
///     Up             a named key: Up Down Left Right Enter Escape (Esc) Backspace Tab Space
///     type 12        the characters after `type ` one by one (e.g. after `=` or `/`)
///     sleep 1.5      pause 1.5 seconds
///     wait           wait for the current map to finish
///
/// Blank lines are ignored. Errors name the line.
public func parseScript(_ text: String) throws -> [ScriptStep] {
    var steps = [ScriptStep]()
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var line = String(raw)
        // `#` starts a comment unless it is the whole key (`#` alone is the key #).
        if line.trimmingCharacters(in: .whitespaces) != "#", let h = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) {
            line = String(line[..<h.lowerBound])
        }
        let t = line.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { continue }
        func fail(_ why: String) -> ViewerError { ViewerError("script line \(n + 1): \(why): '\(t)'") }
        if t.hasPrefix("type ") {
            steps += line.drop(while: { $0 == " " }).dropFirst(5).map { .key(.char($0)) }
            continue
        }
        let parts = t.split(separator: " ", omittingEmptySubsequences: true)
        if parts[0] == "sleep" {
            guard parts.count == 2, let s = Double(parts[1]), s.isFinite, s >= 0, s <= 3600 else {
                throw fail("sleep takes a number of seconds from 0 to 3600")
            }
            steps.append(.sleep(s))
            continue
        }
        guard parts.count == 1 else { throw fail("one key per line (use `type TEXT` for several characters)") }
        if t == "wait" { steps.append(.waitMap); continue }
        switch t.lowercased() {
        case "up": steps.append(.key(.up))
        case "down": steps.append(.key(.down))
        case "left": steps.append(.key(.left))
        case "right": steps.append(.key(.right))
        case "enter", "return": steps.append(.key(.enter))
        case "escape", "esc": steps.append(.key(.escape))
        case "backspace": steps.append(.key(.backspace))
        case "tab": steps.append(.key(.tab))
        case "space": steps.append(.key(.char(" ")))
        default:
            guard t.count == 1, let c = t.first else { throw fail("unknown key name") }
            steps.append(.key(.char(c)))
        }
    }
    return steps
}

/// Plays a script against the viewer's state: `next` hands out the keys
/// that are due (after pauses, and once a `wait` is satisfied).
public struct ScriptPlayer: Sendable {
    public private(set) var steps: [ScriptStep]
    private var index = 0
    private var resumeAt: Double?

    public init(_ steps: [ScriptStep]) { self.steps = steps }

    public var finished: Bool { index >= steps.count }

    /// The next key due at time `now` (seconds, any monotonic clock) in `state`, or nil.
    public mutating func next(now: Double, state: ViewerState) -> Key? {
        while index < steps.count {
            switch steps[index] {
            case .key(let k):
                index += 1
                return k
            case .sleep(let s):
                if resumeAt == nil { resumeAt = now + s }
                if now < resumeAt! { return nil }
                resumeAt = nil
                index += 1
            case .waitMap:
                guard mapSettled(state) else { return nil }
                index += 1
            }
        }
        return nil
    }
}

/// True when the map the state shows is final or failed (with the m ladder
/// for Integrated Grad-CAM, and the partner in the difference view).
public func mapSettled(_ s: ViewerState) -> Bool {
    if s.paths.isEmpty { return true }
    guard s.currentKey != nil, let w = s.work else { return false }
    return w.keys.allSatisfy { s.results[$0]?.isFinal == true || s.failures[$0] != nil }
}
