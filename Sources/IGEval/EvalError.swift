import Foundation

/// Errors thrown by IGEval. Every message names the file or the quantity at fault.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// Two arrays that must describe the same pixels have different lengths.
    case sizeMismatch(String)
    /// An input value is NaN or infinite.
    case nonFinite(String)
    /// An input that must not be empty is empty.
    case emptyInput(String)
    /// A file that must exist does not.
    case fileNotFound(String)
    /// A file exists but cannot be read or parsed; `reason` says why.
    case malformedFile(path: String, reason: String)
    /// A dataset split lists no image ids.
    case emptySplit(String)
    /// An argument is outside its allowed range.
    case invalidArgument(String)
    /// Writing a file failed (e.g. the disk is full); `reason` says why and what is kept.
    case writeFailed(path: String, reason: String)
    /// A results file or a set of shards cannot be used together; the message says why.
    case inconsistent(String)

    public var description: String {
        switch self {
        case .sizeMismatch(let s): return "size mismatch: \(s)"
        case .nonFinite(let s): return "non-finite value: \(s)"
        case .emptyInput(let s): return "empty input: \(s)"
        case .fileNotFound(let p): return "file not found: \(p)"
        case .malformedFile(let p, let r): return "malformed file \(p): \(r)"
        case .emptySplit(let p): return "split file lists no image ids: \(p)"
        case .invalidArgument(let s): return "invalid argument: \(s)"
        case .writeFailed(let p, let r): return "cannot write \(p): \(r)"
        case .inconsistent(let s): return s
        }
    }
}

extension EvalError: LocalizedError {
    public var errorDescription: String? { description }
}
