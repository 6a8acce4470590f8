import ArgumentParser
import Foundation
import IGExplain
import IGImaging
import IGModel

/// Options that pick what to explain, shared by explain and bench.
struct ExplainSelection: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: "Method (or an alias), repeatable or comma-separated.")
    var method: [MethodList] = []

    @Option(name: .long, help: "Target layer: exported name or a unique shorter form such as a module path (default: the model's).")
    var layer: String?

    @Option(name: .long, help: "Class index or label, or a unique part of one (default: the top-1 prediction).")
    var `class`: String?

    @Option(name: .long, help: "Integrated Grad-CAM steps m, 1...\(ExplainSelection.maxSteps).")
    var steps: Int = 50

    @Option(name: .long, help: "Integrated Grad-CAM baseline: black, mean, blur[:sigma], noise[:seed].")
    var baseline: Baseline = .black

    @Option(name: .long, help: "Integrated Grad-CAM reading.")
    var reading: Reading = .figure

    /// More steps than this is a typo, not a plan (each step is a forward and a backward).
    static let maxSteps = 100_000

    func validate() throws {
        _ = try methods()
        guard (1...ExplainSelection.maxSteps).contains(steps) else {
            throw ValidationError("--steps must be from 1 to \(ExplainSelection.maxSteps) (got \(steps))")
        }
    }

    func methods(default d: Method = .integratedGradCAM) throws -> [Method] {
        method.isEmpty ? [d] : try MethodList.joined(method)
    }

    func options() throws -> ExplainOptions {
        try validate()
        return ExplainOptions(steps: steps, baseline: baseline, reading: reading)
    }

    /// The class given, or the top-1 prediction found by `method`'s first pass.
    func classIndex(_ model: Model, _ ex: Explainer, method: Method, layer: String) throws -> Int {
        if let c = self.class { return try model.resolveClass(c) }
        return try ex.defaultClass(for: method, layer: layer)
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain one image: write an overlay PNG and/or the raw map as .npy, or print JSON.",
        discussion: """
            The raw map (--raw) is the map at the target layer's resolution, before upsampling and before any \
            normalisation, float32 (h, w). With several methods, each output name gets the method's name \
            appended (overlay-grad-cam.png). Files are written to a temporary name and renamed, never half-written.
            """)

    @Argument(help: "PNG or JPEG image.")
    var image: String

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var selection: ExplainSelection

    @Option(name: .long, help: "Overlay PNG to write.")
    var output: String?

    @Option(name: .long, help: "Raw map .npy to write.")
    var raw: String?

    @Option(name: .long, help: "Colour map.")
    var colormap: ColorMap = .jet

    @Option(name: .long, help: "Heatmap opacity in the overlay, 0...1.")
    var opacity: Float = 0.5

    @Flag(name: .long, help: "Print JSON: class, label, score, method, every option, map shape, time.")
    var json = false

    func validate() throws {
        // NaN is not within 0...1 either.
        guard (0...1).contains(opacity) else { throw ValidationError("--opacity must be within 0...1 (got \(opacity))") }
    }

    func run() throws {
        let methods = try selection.methods()
        let options = try selection.options()
        let cmap = colormap
        // Every output folder must be writable before any work, so a bad path never leaves
        // some files written and others not.
        for path in methods.flatMap({ m in [output, raw].compactMap { $0 }.map { suffixed($0, methods.count > 1 ? "-" + m.name : "") } }) {
            try checkWritable(path)
        }
        let img = try readImage(image)
        let model = try modelOptions.load()
        let layer = try model.layer(selection.layer)
        let ex = Explainer(model: model, image: img)
        let cls = try selection.classIndex(model, ex, method: methods[0], layer: layer)
        var docs = [[String: Any]]()
        // Compute every method first, then write: a failing method leaves no files behind.
        let explanations = try methods.map { try ex.explain($0, layer: layer, classIndex: cls, options: options) }
        for (m, e) in zip(methods, explanations) {
            let suffix = methods.count > 1 ? "-" + m.name : ""
            if let raw {
                try writeNPY(e.map, shape: [e.height, e.width], to: suffixed(raw, suffix))
            }
            if let output {
                let ov = overlayOnImage(img, model: model, explanation: e, colorMap: cmap, opacity: opacity)
                try savePNG(ov, to: suffixed(output, suffix))
            }
            if json {
                docs.append(describe(e, model: model))
            } else {
                let wrote = [output.map { suffixed($0, suffix) }, raw.map { suffixed($0, suffix) }].compactMap { $0 }
                print(String(format: "%@  class %d (%@)  logit %.3f  map %dx%d  %.1f ms%@", m.name, cls, e.label,
                             Double(e.score), e.height, e.width, e.seconds * 1000,
                             wrote.isEmpty ? "" : "  -> " + wrote.joined(separator: ", ")))
            }
        }
        if json { try printJSON(docs.count == 1 ? docs[0] : docs) }
    }
}

/// Throws unless `path`'s folder exists and is writable.
func checkWritable(_ path: String) throws {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw CLIError("\(path): directory \(dir) does not exist")
    }
    guard access(dir, W_OK) == 0 else { throw CLIError("\(path): cannot write into \(dir)") }
}

/// `a/b.png` + `-x` -> `a/b-x.png`.
func suffixed(_ path: String, _ suffix: String) -> String {
    guard !suffix.isEmpty else { return path }
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension
    let base = url.deletingPathExtension().path
    return ext.isEmpty ? base + suffix : base + suffix + "." + ext
}

func describe(_ e: Explanation, model: Model) -> [String: Any] {
    var d: [String: Any] = [
        "method": e.method.name, "class": e.classIndex, "label": e.label,
        "score": Double(e.score), "score_of": model.scoreDescription, "probability": Double(e.probability), "layer": e.layer,
        "map_shape": [e.height, e.width], "seconds": e.seconds, "scaling": e.scaling,
        "model": model.path, "resize": model.preprocessing.resize.rawValue,
    ]
    // The options the method takes (Integrated Grad-CAM's m, baseline and reading).
    let takes = e.method.takes
    if takes.contains(.steps) { d["steps"] = e.options.steps }
    if takes.contains(.baseline) { d["baseline"] = e.options.baseline.description }
    if takes.contains(.reading) { d["reading"] = e.options.reading.rawValue }
    return d
}

/// The heatmap over the part of the image the network saw, at the image's resolution.
func overlayOnImage(_ img: RGBImage, model: Model, explanation e: Explanation, colorMap: ColorMap, opacity: Float) -> RGBImage {
    let p = model.preprocessing
    let r = inputRegion(imageWidth: img.width, imageHeight: img.height, resize: p.resize,
                        inputHeight: p.height, inputWidth: p.width)
    var region = RGBImage(width: r.width, height: r.height)
    for y in 0..<r.height { for x in 0..<r.width { region.setPixel(x: x, y: y, img.pixel(x: r.x + x, y: r.y + y)) } }
    return overlay(image: region, map: e.map, mapWidth: e.width, mapHeight: e.height, colorMap: colorMap, opacity: opacity)
}
