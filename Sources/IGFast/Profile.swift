import Foundation

/// Per-node timing behind `IGCAM_PROFILE=1`: each forward/gradient/head call
/// prints, on stderr, its slowest steps and the time per step kind
/// ("Conv", "reference", ...). Off (one bool test per step) otherwise.
final class Profiler {
    static let enabled = ProcessInfo.processInfo.environment["IGCAM_PROFILE"] == "1"
    private var entries: [(name: String, kind: String, ms: Double)] = []
    private let label: String

    init?(_ label: String) {
        guard Profiler.enabled else { return nil }
        self.label = label
    }

    /// Times `body` as step `name` of kind `kind`.
    func measure<T>(_ name: String, _ kind: String, _ body: () throws -> T) rethrows -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = try body()
        entries.append((name, kind, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6))
        return r
    }

    /// Prints the summary to stderr.
    func report() {
        var byKind = [String: (Double, Int)]()
        for e in entries { byKind[e.kind, default: (0, 0)].0 += e.ms; byKind[e.kind, default: (0, 0)].1 += 1 }
        let total = entries.reduce(0) { $0 + $1.ms }
        var s = String(format: "[profile] %@: %.2f ms in %d steps\n", label, total, entries.count)
        for (k, v) in byKind.sorted(by: { $0.value.0 > $1.value.0 }) {
            s += String(format: "  %-28@ %8.2f ms  x%d\n", k, v.0, v.1)
        }
        for e in entries.sorted(by: { $0.ms > $1.ms }).prefix(12) {
            s += String(format: "    %-40@ %-22@ %8.2f ms\n", e.name, e.kind, e.ms)
        }
        FileHandle.standardError.write(s.data(using: .utf8)!)
    }
}
