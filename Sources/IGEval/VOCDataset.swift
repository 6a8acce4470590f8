import Foundation

/// One listed image of a VOC split, with its files found on disk.
public struct VOCItem: Equatable, Sendable {
    public var id: String
    public var imagePath: String
    public var annotationPath: String
}

/// A listed id that could not be used, and why (e.g. its image file is missing).
public struct VOCSkip: Equatable, Sendable {
    public var id: String
    public var reason: String
}

/// A PASCAL VOC directory (the `VOCdevkit/VOC2007` level):
/// `ROOT/Annotations/<id>.xml`, `ROOT/JPEGImages/<id>.jpg`, `ROOT/ImageSets/Main/<split>.txt`.
///
/// The split file lists one id per line (first whitespace-separated token; blank lines
/// ignored). In per-class split files (`<class>_<split>.txt`, lines `id  1|0|-1`) lines marked
/// `-1` (class absent) are left out. Images are looked up as `.jpg`, `.jpeg`, `.JPG`, `.png`.
/// An id whose image or annotation file is missing is collected in `skipped`, not thrown;
/// annotations are parsed lazily by `annotation(for:)`.
public struct VOCDataset: Sendable {
    public let root: String
    public let split: String
    /// Usable items in split-file order.
    public let items: [VOCItem]
    /// Listed ids that were skipped, with the reason.
    public let skipped: [VOCSkip]

    /// Throws `EvalError.fileNotFound` if the root or the split file is missing,
    /// `.emptySplit` if the split lists no ids, `.malformedFile` if it cannot be read.
    public init(root: String, split: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw EvalError.fileNotFound("VOC root directory \(root)")
        }
        let splitPath = (root as NSString).appendingPathComponent("ImageSets/Main/\(split).txt")
        guard fm.fileExists(atPath: splitPath) else { throw EvalError.fileNotFound(splitPath) }
        guard let data = fm.contents(atPath: splitPath), let text = String(data: data, encoding: .utf8) else {
            throw EvalError.malformedFile(path: splitPath, reason: "cannot be read as UTF-8 text")
        }
        var ids: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = tokens.first else { continue }
            if tokens.count > 1, tokens[1] == "-1" { continue }
            ids.append(String(first))
        }
        guard !ids.isEmpty else { throw EvalError.emptySplit(splitPath) }
        var items: [VOCItem] = [], skipped: [VOCSkip] = []
        let imgDir = (root as NSString).appendingPathComponent("JPEGImages")
        let annDir = (root as NSString).appendingPathComponent("Annotations")
        for id in ids {
            let ann = (annDir as NSString).appendingPathComponent(id + ".xml")
            let image = ["jpg", "jpeg", "JPG", "png"].lazy
                .map { (imgDir as NSString).appendingPathComponent(id + "." + $0) }
                .first { fm.fileExists(atPath: $0) }
            if let image {
                if fm.fileExists(atPath: ann) {
                    items.append(VOCItem(id: id, imagePath: image, annotationPath: ann))
                } else {
                    skipped.append(VOCSkip(id: id, reason: "annotation file not found: \(ann)"))
                }
            } else {
                skipped.append(VOCSkip(id: id, reason: "image not found: \(imgDir)/\(id).jpg"))
            }
        }
        self.root = root
        self.split = split
        self.items = items
        self.skipped = skipped
    }

    /// Parses the item's annotation XML (throws naming the file when malformed).
    public func annotation(for item: VOCItem) throws -> VOCAnnotation {
        try VOCAnnotation(contentsOf: item.annotationPath)
    }
}
