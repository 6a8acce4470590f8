import ArgumentParser
import Foundation
import IGModel

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the top-k classes of each image with label, probability and logit.")

    @Argument(help: "PNG or JPEG images.")
    var images: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "How many classes to print per image.")
    var top: Int = 5

    @Flag(name: .long, help: "Print JSON: one object per image with \"image\" and \"top\".")
    var json = false

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image") }
        guard (1...1000).contains(top) else { throw ValidationError("--top must be from 1 to 1000 (got \(top))") }
    }

    func run() throws {
        let model = try modelOptions.load()
        var docs = [[String: Any]]()
        for path in images {
            let preds = try model.classify(readImage(path), top: top)
            if json {
                docs.append(["image": path, "top": preds.map {
                    ["class": $0.classIndex, "label": $0.label, "probability": Double($0.probability), "logit": Double($0.logit)] as [String: Any]
                }])
            } else {
                print(path)
                for p in preds {
                    print(String(format: "  %5.1f%%  %8.3f  %4d  %@", Double(p.probability * 100), Double(p.logit), p.classIndex, p.label))
                }
            }
        }
        if json { try printJSON(docs) }
    }
}

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every tensor that can be a target layer, with its shape; * marks the default.")

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let model = try modelOptions.load()
        let layers = model.graph.candidateLayers
        if json {
            try printJSON(layers.map { l -> [String: Any] in
                var d: [String: Any] = ["name": l.name, "shape": l.shape, "default": l.name == model.defaultLayer]
                if let a = l.alias { d["alias"] = a }
                return d
            })
            return
        }
        let width = min(72, layers.map { $0.name.count }.max() ?? 10)
        print("\(model.name): \(layers.count) layers (name as exported, [module path], shape C x h x w)")
        for l in layers {
            let mark = l.name == model.defaultLayer ? "*" : " "
            let shape = l.shape.map(String.init).joined(separator: "x")
            let pad = String(repeating: " ", count: max(0, width - l.name.count))
            print("\(mark) \(l.name)\(pad)  \(l.alias.map { "[\($0)]" } ?? "")  \(shape)")
        }
    }
}
