/// The reference image at the start of Integrated Grad-CAM's path.
public enum Baseline: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// All pixels zero before normalisation (the authors' choice; the default).
    case black
    /// Zero after normalisation: every pixel at the model's mean colour.
    case mean
    /// The image blurred with a Gaussian of this sigma in pixels.
    case blur(sigma: Float)
    /// Uniform noise in [0, 1] pixel space from this seed.
    case noise(seed: UInt64)

    public static let cycle: [Baseline] = [.black, .mean, .blur(sigma: 8), .noise(seed: 0)]

    /// The largest blur sigma accepted, in pixels (a kernel of 6 sigma + 1 taps).
    public static let maxBlurSigma: Float = 1000

    /// Parses `black`, `mean`, `blur[:sigma]` or `noise[:seed]`; nil for anything else
    /// (including "", ":", a sigma that is not a finite number in (0, maxBlurSigma]).
    public init?(name: String) {
        // Not split(separator:): it drops empty pieces, so "" and ":" would give no parts at all.
        let lower = name.lowercased()
        let head: Substring, arg: Substring?
        if let colon = lower.firstIndex(of: ":") {
            head = lower[..<colon]; arg = lower[lower.index(after: colon)...]
        } else {
            head = lower[...]; arg = nil
        }
        switch head {
        case "black" where arg == nil: self = .black
        case "mean" where arg == nil: self = .mean
        case "blur":
            guard let s = arg.map({ Float($0) }) ?? 8, s.isFinite, s > 0, s <= Baseline.maxBlurSigma else { return nil }
            self = .blur(sigma: s)
        case "noise":
            guard let s = arg.map({ UInt64($0) }) ?? 0 else { return nil }
            self = .noise(seed: s)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .black: return "black"
        case .mean: return "mean"
        case .blur(let s): return "blur:\(s == s.rounded() ? String(Int(s)) : String(s))"
        case .noise(let seed): return "noise:\(seed)"
        }
    }
}

/// The two readings of Integrated Grad-CAM (docs/METHODS.md, "Integrated Grad-CAM").
public enum Reading: String, Sendable, CaseIterable, Codable {
    /// sum_{k=1..m} ReLU(sum_c (A^c(x_k) - A^c(x')) GAP(dy/dA^c(x_k))): the paper's figure; the default.
    case figure
    /// sum_{k=0..m-1} ReLU(sum_c A^c(x_k) GAP(dy/dA^c(x_k))): the authors' notebook.
    case authorsCode = "authors-code"
}

/// Everything that decides an explanation besides the image and model.
public struct ExplainOptions: Sendable, Equatable, Hashable {
    /// Integrated Grad-CAM steps m (the authors' default is 50).
    public var steps: Int = 50
    public var baseline: Baseline = .black
    public var reading: Reading = .figure
    /// Upper bound on the activations a micro-batch may hold, in bytes.
    public var memoryBudget: Int = 1 << 30
    public init(steps: Int = 50, baseline: Baseline = .black, reading: Reading = .figure, memoryBudget: Int = 1 << 30) {
        self.steps = steps; self.baseline = baseline; self.reading = reading; self.memoryBudget = memoryBudget
    }
}
