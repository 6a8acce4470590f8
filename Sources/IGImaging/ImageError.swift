/// An error reading, decoding or writing an image (or a related file), naming the file.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; `detail` has the specifics.
    public enum Kind: String, Sendable {
        /// The file does not exist.
        case missingFile = "file not found"
        /// The file exists but holds zero bytes.
        case emptyFile = "file is empty"
        /// The data ends before the image is complete.
        case truncated = "truncated"
        /// The data is damaged or not what its header claims.
        case corrupt = "corrupt data"
        /// The bytes are neither PNG nor JPEG (or not the expected format).
        case unknownFormat = "unknown format"
        /// A valid file using a feature this code does not handle.
        case unsupported = "unsupported"
        /// An operating-system level failure (permissions, disk full, ...).
        case io = "I/O error"
        /// The image or argument is outside the accepted size limits.
        case invalidArgument = "invalid argument"
    }

    /// The coarse category of the failure.
    public let kind: Kind
    /// The file the error concerns.
    public let path: String
    /// Human-readable specifics (e.g. the decoder's own message).
    public let detail: String

    /// Creates an error for `path`.
    public init(_ kind: Kind, path: String, _ detail: String = "") {
        self.kind = kind; self.path = path; self.detail = detail
    }

    /// "`path`: `kind`: `detail`".
    public var description: String {
        detail.isEmpty ? "\(path): \(kind.rawValue)" : "\(path): \(kind.rawValue): \(detail)"
    }
}

/// Images larger than this many pixels are refused when decoding (guards
/// against forged headers asking for gigabytes).
public let maxImagePixels = 1 << 26
