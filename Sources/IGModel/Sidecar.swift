import Foundation

/// The JSON file next to a model (`NAME.json` for `NAME.onnx`) that says how
/// to feed it and how to name its classes. Mean and std are in [0, 1] pixel
/// units, as torchvision writes them.
public struct Sidecar: Codable, Sendable, Equatable {
    public var inputSize: [Int]?
    public var mean: [Float]?
    public var std: [Float]?
    public var resize: String?
    public var labels: [String]?
    public var labelsFile: String?
    public var defaultLayer: String?
    /// "nchw" or "nhwc": how the graph's image input is laid out (default: guessed from its shape).
    public var layout: String?
    /// "rgb" or "bgr": the order of the input's colour channels (default rgb). `mean`/`std` are in this order.
    public var channelOrder: String?

    enum CodingKeys: String, CodingKey {
        case inputSize = "input_size", mean, std, resize, labels
        case labelsFile = "labels_file", defaultLayer = "default_layer"
        case layout, channelOrder = "channel_order"
    }

    public init(inputSize: [Int]? = nil, mean: [Float]? = nil, std: [Float]? = nil, resize: String? = nil,
                labels: [String]? = nil, labelsFile: String? = nil, defaultLayer: String? = nil) {
        self.inputSize = inputSize; self.mean = mean; self.std = std; self.resize = resize
        self.labels = labels; self.labelsFile = labelsFile; self.defaultLayer = defaultLayer
    }

    /// The sidecar path for a model path: `x/NAME.onnx` -> `x/NAME.json`.
    public static func path(forModel model: String) -> String {
        let url = URL(fileURLWithPath: model)
        return url.deletingPathExtension().appendingPathExtension("json").path
    }

    /// Reads the sidecar next to `model`, or nil when there is none.
    public static func load(forModel model: String) throws -> Sidecar? {
        let p = path(forModel: model)
        guard FileManager.default.fileExists(atPath: p) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: p)) } catch {
            throw ModelError("\(p): cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: p)
    }

    /// Parses and checks sidecar JSON (`path` names it in errors): numbers must be finite,
    /// input_size two sizes in 1...16384, mean and std one value (a grayscale
    /// network) or three (std positive); Model checks the count against the graph's input channels.
    public static func decode(_ data: Data, path p: String) throws -> Sidecar {
        let s: Sidecar
        do {
            s = try JSONDecoder().decode(Sidecar.self, from: data)
        } catch let e as DecodingError {
            throw ModelError("\(p): not a valid model sidecar: \(describe(e))")
        } catch {
            throw ModelError("\(p): not a valid model sidecar: \(error)")
        }
        if let size = s.inputSize, size.count != 2 || !size.allSatisfy({ (1...16384).contains($0) }) {
            throw ModelError("\(p): input_size must be [height, width], each 1...16384 (got \(size))")
        }
        for (name, v) in [("mean", s.mean), ("std", s.std)] {
            if let v, ![1, 3].contains(v.count) || !v.allSatisfy({ $0.isFinite }) {
                throw ModelError("\(p): \(name) must be 3 finite numbers (1 for a grayscale network) (got \(v))")
            }
        }
        if let std = s.std, !std.allSatisfy({ $0 > 0 }) {
            throw ModelError("\(p): std must be positive (got \(std))")
        }
        return s
    }

    /// Labels from `labels` or from the text file `labels_file` (one per line,
    /// relative to the sidecar's folder).
    func resolvedLabels(sidecarPath: String) throws -> [String]? {
        if let labels { return labels }
        guard let labelsFile else { return nil }
        let dir = URL(fileURLWithPath: sidecarPath).deletingLastPathComponent()
        let url = labelsFile.hasPrefix("/") ? URL(fileURLWithPath: labelsFile) : dir.appendingPathComponent(labelsFile)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModelError("\(sidecarPath): labels_file '\(url.path)' cannot be read")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
}

func describe(_ e: DecodingError) -> String {
    switch e {
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
        let path = c.codingPath.map(\.stringValue).joined(separator: ".")
        return (path.isEmpty ? "" : "at '\(path)': ") + c.debugDescription
    @unknown default:
        return "\(e)"
    }
}

/// A model could not be loaded or used; the message names the file.
public struct ModelError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
