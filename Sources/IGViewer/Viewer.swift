import Foundation
import IGExplain
import IGImaging
import IGModel
import IGRender

/// Viewer settings besides the model and the images.
public struct ViewerOptions: Sendable {
    /// auto, truecolor, 256, 16 or 8.
    public var color: String
    /// How many classes the panel lists.
    public var topK: Int
    /// Keys to replay (`--script`), nil for none.
    public var script: [ScriptStep]?
    /// Where to write an asciinema v2 recording (`--record`), nil for none.
    public var record: String?
    /// Pixel graphics over the image panel (`--graphics`).
    public var graphics: GraphicsChoice
    /// Clicks on the picture move the probe (`--no-mouse`: off, the terminal keeps its text selection).
    public var mouse: Bool
    public init(color: String = "auto", topK: Int = 5, script: [ScriptStep]? = nil, record: String? = nil,
                graphics: GraphicsChoice = .off, mouse: Bool = true) {
        self.color = color; self.topK = topK; self.script = script; self.record = record; self.graphics = graphics
        self.mouse = mouse
    }
}

/// Image files named by `paths`: files as given, folders expanded to their
/// PNG/JPEG files sorted by name. Throws for a path that does not exist.
public func expandImagePaths(_ paths: [String]) throws -> [String] {
    let fm = FileManager.default
    var out = [String]()
    for p in paths {
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: p, isDirectory: &isDir) else { throw ViewerError("\(p): no such file or folder") }
        if isDir.boolValue {
            let items = (try? fm.contentsOfDirectory(atPath: p)) ?? []
            let images = items.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
            out += images.sorted().map { (p as NSString).appendingPathComponent($0) }
        } else {
            out.append(p)
        }
    }
    return out
}

/// Where `s` saves: `<image dir>/<stem>-<method>-<class>.png`, never an existing file.
public func savePath(imagePath: String, method: Method, classIndex: Int, view: ViewMode) -> String {
    let dir = (imagePath as NSString).deletingLastPathComponent
    let stem = ((imagePath as NSString).lastPathComponent as NSString).deletingPathExtension
    let what = view == .image ? "image" : (view == .heatmap ? "\(method.name)-heatmap" : method.name)
    return uniquePath(base: (dir.isEmpty ? "" : dir + "/") + "\(stem)-\(what)-\(classIndex)", ext: "png")
}

/// Runs the interactive viewer on `paths` (images or folders) with `model`
/// until the user quits. Returns the exit status: 0 after q, 128 + signal
/// after SIGINT/SIGTERM/SIGHUP (129 also when the terminal hangs up without a
/// SIGHUP reaching us). The terminal is restored on every path out.
public func runViewer(paths: [String], model: Model, options: ViewerOptions = ViewerOptions()) throws -> Int32 {
    let files = try expandImagePaths(paths)
    guard !files.isEmpty else { throw ViewerError("no images to show (PNG or JPEG files, or folders of them)") }
    let env = ProcessInfo.processInfo.environment
    let choice = try chooseColorMode(options.color, environment: env)
    let layers = viewerLayers(model)
    var state = ViewerState(modelName: model.name, labels: model.labels, layers: layers,
                            defaultLayer: model.defaultLayer, paths: files)
    let pre = model.preprocessing
    state.geometry = InputGeometry(resize: pre.resize, height: pre.height, width: pre.width)

    // The recorder (if any) first: ncurses then opens on its pseudo-terminal, and
    // its defer, running after the terminal's, gives the real terminal back last.
    // Graphics detection asks the real terminal (before the recorder's pseudo-terminal).
    let (proto, graphicsNote) = chooseGraphics(options.graphics, environment: env)
    let graphics = proto.map { GraphicsOutput($0) }
    let recorder = try options.record.map { try Recorder(path: $0, environment: env) }
    defer { try? recorder?.finish() }
    let term = try Terminal(mode: choice.mode, forced: choice.forced, mouse: options.mouse)
    defer { term.close() }
    var player = options.script.map { ScriptPlayer($0) }
    let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    let composer = Composer(mode: term.mode)
    composer.prefetch = true
    composer.imagePalettes = usesImagePalette(mode: term.mode, canChangeColor: term.canChangeColor, colors: term.colors)
    term.loadsPalettes = composer.imagePalettes
    let runner = JobRunner(model: model, topK: max(1, options.topK))
    runner.start()
    defer { runner.stop() }
    if let w = state.work { runner.request(w) }
    state.status = "colour: \(term.mode.rawValue)\(composer.imagePalettes ? ", palette fitted to each image" : "")\(graphicsNote.isEmpty ? "" : "; " + graphicsNote)"
        + (term.mouse ? "; mouse on: click the picture to probe (--no-mouse to select text)" : "") + "; ? for help"

    // IGCAM_VIEWER_TIMING=FILE logs, per frame drawn after a key: milliseconds
    // from the key's arrival to the end of the refresh, of which draw and show
    // (show: ncurses' refresh and the pixel picture's bytes); frames drawn for
    // other reasons (a partial map, a picture arriving) log "event" instead of
    // the first number.
    let timing = env["IGCAM_VIEWER_TIMING"].flatMap { FileHandle(forWritingAtPath: $0) ?? (FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil) }
    var keyTime: UInt64?
    var dirty = true
    var hungUp = false
    while !state.quit && caughtSignal == 0 && !hungUp {
        var lastRequest: WorkRequest?
        var wantSave = false
        func apply(_ effects: [Effect]) {
            for e in effects {
                switch e {
                case .request(let w): lastRequest = w
                case .save: wantSave = true
                case .quit: break
                }
            }
        }
        for ev in runner.drain() {
            let (s, e) = reduce(state, ev)
            state = s; apply(e); dirty = true
        }
        if composer.takePaletteArrived() { dirty = true }
        if graphics?.takeArrived() == true { dirty = true }
        if let r = recorder, let size = r.syncSize() { term.resize(width: size.width, height: size.height); dirty = true }
        if dirty {
            let (w, h) = term.size
            let t0 = DispatchTime.now().uptimeNanoseconds
            var screen = draw(state, width: w, height: h, composer: composer)
            let t1 = DispatchTime.now().uptimeNanoseconds
            // Pixels: the picture is made and encoded in the background; a picture
            // that goes away or moves needs a full repaint to erase it (sixel, iTerm2),
            // and it is written again when ncurses wrote cells under it.
            if let g = graphics {
                let place = GraphicsOutput.placement(state, width: w, height: h, cell: GraphicsOutput.cellPixels())
                if g.prepare(state, place) { term.invalidate() }
                term.watch = g.watchRect
                if let r = g.watchRect {
                    for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { screen[x, y] = ScreenCell() } }
                }
            }
            term.show(screen)
            graphics?.finish(state, repainted: term.repainted, written: term.written)
            // The tiles the display-only keys lead to, rendered ahead in the background.
            if let image = state.image, let size = mainTileSize(state, width: w, height: h) {
                composer.prefetch(from: state, to: displayNeighbours(state), image: image, columns: size.columns, rows: size.rows)
            }
            let t2 = DispatchTime.now().uptimeNanoseconds
            if let f = timing {
                // After a key: WxH key->refresh draw show; other frames (job events,
                // pictures arriving): WxH event draw show.
                let ms = { (a: UInt64, b: UInt64) in String(format: "%.3f", Double(b - a) / 1e6) }
                f.seekToEndOfFile()
                f.write(Data("\(w)x\(h) \(keyTime.map { ms($0, t2) } ?? "event") \(ms(t0, t1)) \(ms(t1, t2))\n".utf8))
            }
            keyTime = nil
            dirty = false
        }
        // One key with a short timeout, then everything already typed, reduced
        // together: a flood of keys becomes one request and one redraw.
        // Script keys count as typed once due (after pauses and waits).
        var key = term.readKey(wait: true) ?? player?.next(now: clock(), state: state)
        if key != nil { keyTime = DispatchTime.now().uptimeNanoseconds } else if term.hungUp { hungUp = true }
        while var k = key {
            if k == .resize { term.invalidate() }
            if case .mouse(let x, let y) = k {
                // A click on the picture probes the map cell under it; elsewhere it does nothing.
                let (w, h) = term.size
                k = mouseProbe(state, x: x, y: y, width: w, height: h) ?? .other(-1)
            }
            let (s, e) = reduce(state, k)
            state = s; apply(e); dirty = true
            if state.quit { break }
            key = term.readKey(wait: false) ?? player?.next(now: clock(), state: state)
        }
        if let w = lastRequest { runner.request(w) }
        if wantSave { save(state) { ev in let (s, e) = reduce(state, ev); state = s; apply(e) }; dirty = true }
    }
    graphics?.clear()
    term.close()
    try recorder?.finish()
    return caughtSignal != 0 ? 128 + caughtSignal : (hungUp ? 128 + SIGHUP : 0)
}

/// Saves the current view at the image's full resolution.
func save(_ state: ViewerState, report: (JobEvent) -> Void) {
    guard let path = state.imagePath, let image = state.image, let c = state.classIndex else {
        report(.saveFailed("nothing to save yet")); return
    }
    let view: ViewMode = state.view == .grid ? .overlay : state.view
    let r = state.currentKey.flatMap { state.results[$0] }
    if view != .image && r == nil { report(.saveFailed("no map yet for \(state.method.shortName)")); return }
    let pic = Composer.picture(image, view: view, map: r, colorMap: state.colorMap, opacity: state.opacity, region: state.inputRegion)
    let out = savePath(imagePath: path, method: state.method, classIndex: c, view: view)
    do {
        try savePNG(pic, to: out)
        report(.saved(out))
    } catch {
        report(.saveFailed("\(error)"))
    }
}
