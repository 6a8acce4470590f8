import Foundation
import IGExplain
import IGImaging
import IGRender

/// What one image tile shows; equal specs give equal cells (the cache key).
struct TileSpec: Hashable {
    var image: String
    var columns: Int
    var rows: Int
    var view: ViewMode
    var opacity: Float
    var colorMap: ColorMap
    var map: JobKey?
    /// Progress count of a partial map (a new partial map is a new picture).
    var done: Int
    var final: Bool
    /// The fitted palette the cells index (nil: the fixed colours).
    var palette: PaletteKey?
    /// The difference view: `map` minus `second` (diverging colours).
    var second: JobKey? = nil
    var secondDone = 0
    var secondFinal = false
    /// The photo region the network sees (x, y, width, height of the full photo).
    var region: [Int] = []
}

/// A pixel rectangle of a picture.
public typealias Region = (x: Int, y: Int, width: Int, height: Int)

/// `r` (in a `from`-sized picture) in a picture of `to`'s size.
func scaleRegion(_ r: Region, from: (Int, Int), to: (Int, Int)) -> Region {
    guard from.0 > 0, from.1 > 0 else { return (0, 0, to.0, to.1) }
    let x0 = r.x * to.0 / from.0, y0 = r.y * to.1 / from.1
    let x1 = min(to.0, ((r.x + r.width) * to.0 + from.0 - 1) / from.0), y1 = min(to.1, ((r.y + r.height) * to.1 + from.1 - 1) / from.1)
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))
}

/// `image` with `body` applied to the sub-picture `region` (the rest unchanged).
func withRegion(_ image: RGBImage, _ region: Region?, _ body: (RGBImage) -> RGBImage) -> RGBImage {
    guard let r = region, r.x > 0 || r.y > 0 || r.width < image.width || r.height < image.height,
          r.width > 0, r.height > 0, r.x >= 0, r.y >= 0, r.x + r.width <= image.width, r.y + r.height <= image.height else { return body(image) }
    var sub = RGBImage(width: r.width, height: r.height)
    for y in 0..<r.height { for x in 0..<r.width { sub.setPixel(x: x, y: y, image.pixel(x: r.x + x, y: r.y + y)) } }
    let done = body(sub)
    var out = image
    for y in 0..<r.height { for x in 0..<r.width { out.setPixel(x: r.x + x, y: r.y + y, done.pixel(x: x, y: y)) } }
    return out
}

/// Turns the photo and a map into cells with IGRender, keeping recent
/// results: a display-only key re-renders one tile, a repeated state none.
/// `prefetch(from:to:...)` renders ahead, on a background queue, the tiles
/// of states the caller expects next (the UI loop passes the states the
/// reducer gives for o, c and v: `displayNeighbours`), so those keys usually
/// find their tile ready. The composer never computes a state itself: the
/// reducer is the only place that makes one.
///
/// Not Sendable, on purpose: the composer belongs to the UI loop (`runViewer`)
/// and its frame state (`frameKey`, `framePalette`, the settings) is read and
/// written on that thread only; the compiler keeps it from being handed to
/// another. What the background queues fill is the `TileStore`, which is
/// Sendable (by its lock).
public final class Composer {
    public let mode: ColorMode
    public let glyphs: GlyphSet
    /// A per-image palette for 256-colour terminals that can load one.
    public var palette: Palette?
    /// Render the tiles of the states handed to `prefetch` in the background (off: ignore them).
    public var prefetch = false
    /// Fit a 240-colour palette to each picture (k-means, in the background)
    /// and render with it; only used in `.c256` mode (see `usesImagePalette`).
    public var imagePalettes = false
    private var frameKey: PaletteKey?
    /// The palette the current frame's cells index (colour numbers
    /// `firstIndex...`), or nil for the terminal's own colours; with
    /// `imagePalettes` the terminal must have it loaded to show the frame.
    public private(set) var framePalette: Palette?
    /// The caches, shared with the background renders.
    let store: TileStore
    /// How many tile renders were made on the caller's thread (not served from the cache).
    public var renders: Int { store.renders }
    /// How many tiles were rendered ahead in the background.
    public var prefetched: Int { store.prefetched }

    public init(mode: ColorMode, glyphs: GlyphSet = .blocks, palette: Palette? = nil) {
        self.mode = mode; self.glyphs = glyphs; self.palette = palette; framePalette = palette
        store = TileStore(mode: mode, glyphs: glyphs)
    }

    /// Pixels per cell handed to the renderer: enough for its 8x8 fitting of
    /// block elements without paying for more.
    static let sampleW = 4, sampleH = 8

    /// The picture a tile shows at full resolution of `image` (for saving),
    /// the map drawn over `region` (the part the network sees; nil: all).
    static func picture(_ image: RGBImage, view: ViewMode, map: MapResult?, colorMap: ColorMap, opacity: Float,
                        region: Region? = nil) -> RGBImage {
        guard let m = map, view != .image else { return image }
        let a: Float = view == .heatmap ? 1 : opacity
        return withRegion(image, region) { sub in
            overlay(image: sub, map: m.map, mapWidth: m.width, mapHeight: m.height, colorMap: colorMap, opacity: a)
        }
    }

    /// The difference view's picture: normalised `a` minus normalised `b`
    /// in blue-white-red over `region` (the photo outside it).
    static func differencePicture(_ image: RGBImage, _ a: MapResult, _ b: MapResult, region: Region? = nil) -> RGBImage {
        guard a.width == b.width, a.height == b.height, let d = normalisedDifference(a.map, b.map),
              d.count == a.width * a.height, !d.isEmpty else { return image }
        return withRegion(image, region) { sub in
            let up = upsampleBilinear(d, height: a.height, width: a.width, toHeight: sub.height, toWidth: sub.width)
            var out = sub
            for i in 0..<(sub.width * sub.height) {
                let c = divergingColor(up[i])
                out.pixels[3 * i] = c.0; out.pixels[3 * i + 1] = c.1; out.pixels[3 * i + 2] = c.2
            }
            return out
        }
    }

    /// The cache key of the tile `state` shows for `method`, and its map.
    func spec(state: ViewerState, method: Method, columns: Int, rows: Int) -> (TileSpec, MapResult?) {
        spec(state: state, key: state.key(for: method), columns: columns, rows: rows)
    }

    /// The cache key of the tile showing the map of `key` under `state`'s display settings.
    func spec(state: ViewerState, key: JobKey?, columns: Int, rows: Int) -> (TileSpec, MapResult?) {
        let r = key.flatMap { state.results[$0] }
        let view: ViewMode = state.view == .grid ? .overlay : state.view
        let reg = state.inputRegion.map { [$0.x, $0.y, $0.width, $0.height] } ?? []
        let spec = TileSpec(image: state.imagePath ?? "", columns: columns, rows: rows, view: view, opacity: state.opacity,
                            colorMap: state.colorMap, map: view == .image ? nil : (r == nil ? nil : key),
                            done: r?.done ?? 0, final: r?.isFinal ?? false, palette: frameKey, region: reg)
        return (spec, r)
    }

    /// Largest per-channel change (of 255) a truecolor cell colour may take to
    /// reuse its left neighbour's: ncurses then sends no colour sequence for
    /// it, which cuts the bytes of an image frame by about a third.
    static let snapTolerance = 4

    /// Cells for the photo `image` with `map` (view, colour map and opacity from `state`).
    func tile(state: ViewerState, image: RGBImage, method: Method, columns: Int, rows: Int) -> CellGrid {
        tile(state: state, image: image, key: state.key(for: method), columns: columns, rows: rows)
    }

    /// Cells for the photo with the map of `key` (any step count or partner).
    func tile(state: ViewerState, image: RGBImage, key: JobKey?, columns: Int, rows: Int) -> CellGrid {
        let (spec, r) = spec(state: state, key: key, columns: columns, rows: rows)
        return store.cachedOrMade(spec, image, r, nil, palette: framePalette)
    }

    /// Cells of the difference view: the map of `a` minus the map of `b`
    /// (each min-max normalised), blue-white-red; the photo until both exist.
    func differenceTile(state: ViewerState, image: RGBImage, a: JobKey?, b: JobKey?, columns: Int, rows: Int) -> CellGrid {
        var (spec, r) = spec(state: state, key: a, columns: columns, rows: rows)
        let r2 = b.flatMap { state.results[$0] }
        guard r != nil, let r2, let b else {
            spec.view = .image; spec.map = nil
            return store.cachedOrMade(spec, image, nil, nil, palette: framePalette)
        }
        spec.view = .heatmap; spec.opacity = 1; spec.second = b; spec.secondDone = r2.done; spec.secondFinal = r2.isFinal
        return store.cachedOrMade(spec, image, r, r2, palette: framePalette)
    }

    /// Starts background renders of the main tiles (`columns` x `rows`) of
    /// the states `nextStates` that may follow `state` (only once `state`'s
    /// map is final, outside the grid view; at most once each). Does nothing
    /// unless `prefetch` is on.
    public func prefetch(from state: ViewerState, to nextStates: [ViewerState], image: RGBImage, columns: Int, rows: Int) {
        guard prefetch, state.view != .grid, let k = state.currentKey, state.results[k]?.isFinal == true else { return }
        for next in nextStates {
            // The palette that state will be drawn with: its own once fitted
            // (the next colour map's is fitted ahead), else the current one.
            var pk = frameKey, pal = framePalette
            if imagePalettes, mode == .c256, let want = paletteKey(next) {
                if let ready = store.palette(want) { pk = want; pal = ready } else {
                    store.requestPalette(want, map: want.map.flatMap { next.results[$0] }, image: image, columns: columns, rows: rows)
                }
            }
            guard next.view != .grid else { continue }
            var (spec, r) = spec(state: next, method: next.method, columns: columns, rows: rows)
            spec.palette = pk
            store.renderAhead(spec, image, r, palette: pal)
        }
    }

    /// The palette `state` wants, or nil (no image).
    func paletteKey(_ state: ViewerState) -> PaletteKey? {
        guard let path = state.imagePath else { return nil }
        let k = state.currentKey
        let final = k.flatMap { state.results[$0] }?.isFinal == true
        return PaletteKey(image: path, colorMap: state.colorMap, map: final ? k : nil)
    }

    /// Chooses the palette of the frame for `state` (tiles of `columns` x
    /// `rows`): the fitted one when ready; else, while it is fitted in the
    /// background, the one shown last for the same photo (its colours are
    /// still loaded), or the fixed colours for a new photo.
    func beginFrame(state: ViewerState, image: RGBImage, columns: Int, rows: Int) {
        guard imagePalettes, mode == .c256, let key = paletteKey(state) else { frameKey = nil; framePalette = palette; return }
        if let p = store.palette(key) { frameKey = key; framePalette = p; return }
        store.requestPalette(key, map: key.map.flatMap { state.results[$0] }, image: image, columns: columns, rows: rows)
        if frameKey?.image != key.image { frameKey = nil; framePalette = nil }
    }

    /// True once after a palette finished fitting (the UI redraws then).
    public func takePaletteArrived() -> Bool { store.takePaletteArrived() }
}

/// The composer's caches: resized photos, rendered tiles, fitted palettes,
/// filled on the UI thread and on two background queues (tiles rendered
/// ahead, palettes fitted).
///
/// Sendable by hand (`@unchecked`): `mode`, `glyphs` and the queues are
/// lets; every `var` is read and written only under `lock`, and no lock is
/// held while rendering or fitting.
final class TileStore: @unchecked Sendable {
    let mode: ColorMode
    let glyphs: GlyphSet
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "igcam.composer.prefetch", qos: .utility)
    private let paletteQueue = DispatchQueue(label: "igcam.composer.palette", qos: .userInitiated)
    private var bases: [String: RGBImage] = [:]
    private var baseOrder: [String] = []
    private var tiles: [TileSpec: CellGrid] = [:]
    private var tileOrder: [TileSpec] = []
    private var inFlight = Set<TileSpec>()
    private var palettes: [PaletteKey: Palette] = [:]
    private var paletteOrder: [PaletteKey] = []
    private var palettePending = Set<PaletteKey>()
    private var paletteArrived = false
    private var _renders = 0
    private var _prefetched = 0

    init(mode: ColorMode, glyphs: GlyphSet) { self.mode = mode; self.glyphs = glyphs }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    var renders: Int { locked { _renders } }
    var prefetched: Int { locked { _prefetched } }

    /// The photo resized for a tile of `columns` x `rows` cells.
    func base(_ path: String, _ image: RGBImage, _ columns: Int, _ rows: Int) -> RGBImage {
        let k = "\(path)|\(columns)x\(rows)"
        if let b = locked({ bases[k] }) { return b }
        let b = resizeBilinear(image, width: columns * Composer.sampleW, height: rows * Composer.sampleH)
        locked {
            if bases[k] == nil {
                bases[k] = b
                baseOrder.append(k)
                if baseOrder.count > 12 { bases[baseOrder.removeFirst()] = nil }
            }
        }
        return b
    }

    func make(_ spec: TileSpec, _ image: RGBImage, _ r: MapResult?, _ pal: Palette?, second: MapResult? = nil) -> CellGrid {
        let b = base(spec.image, image, spec.columns, spec.rows)
        let reg: Region? = spec.region.count == 4
            ? scaleRegion((spec.region[0], spec.region[1], spec.region[2], spec.region[3]), from: (image.width, image.height), to: (b.width, b.height))
            : nil
        let pic: RGBImage
        if spec.second != nil, let r, let second {
            pic = Composer.differencePicture(b, r, second, region: reg)
        } else {
            pic = Composer.picture(b, view: spec.view, map: r, colorMap: spec.colorMap, opacity: spec.opacity, region: reg)
        }
        let g = render(pic, columns: spec.columns, rows: spec.rows, glyphs: glyphs, mode: mode, palette: pal)
        return mode == .truecolor ? snapRuns(g, tolerance: Composer.snapTolerance) : g
    }

    private func store(_ spec: TileSpec, _ g: CellGrid) {
        locked {
            if tiles[spec] == nil {
                tileOrder.append(spec)
                if tileOrder.count > 48 { tiles[tileOrder.removeFirst()] = nil }
            }
            tiles[spec] = g
        }
    }

    /// The cached tile of `spec`, or one rendered now on the caller's thread (and counted).
    func cachedOrMade(_ spec: TileSpec, _ image: RGBImage, _ r: MapResult?, _ second: MapResult?, palette: Palette?) -> CellGrid {
        if let g = locked({ tiles[spec] }) { return g }
        let g = make(spec, image, r, palette, second: second)
        locked { _renders += 1 }
        store(spec, g)
        return g
    }

    /// Renders `spec` on the background queue unless it is cached or on its way.
    func renderAhead(_ spec: TileSpec, _ image: RGBImage, _ r: MapResult?, palette: Palette?) {
        let skip: Bool = locked {
            let skip = tiles[spec] != nil || inFlight.contains(spec)
            if !skip { inFlight.insert(spec) }
            return skip
        }
        if skip { return }
        queue.async { [self] in
            let g = make(spec, image, r, palette)
            store(spec, g)
            locked { inFlight.remove(spec); _prefetched += 1 }
        }
    }

    /// The fitted palette of `key`, if ready.
    func palette(_ key: PaletteKey) -> Palette? { locked { palettes[key] } }

    /// Fits the palette `key` on the palette queue (once; ~140 ms).
    func requestPalette(_ key: PaletteKey, map: MapResult?, image: RGBImage, columns: Int, rows: Int) {
        let skip: Bool = locked {
            let skip = palettes[key] != nil || palettePending.contains(key)
            if !skip { palettePending.insert(key) }
            return skip
        }
        if skip { return }
        paletteQueue.async { [self] in
            let b = base(key.image, image, columns, rows)
            let p = try? Palette.kMeans(paletteTrainingImage(b, map: map, colorMap: key.colorMap), count: 240, firstIndex: 16)
            locked {
                palettePending.remove(key)
                if let p {
                    palettes[key] = p
                    paletteOrder.append(key)
                    if paletteOrder.count > 16 { palettes[paletteOrder.removeFirst()] = nil }
                    paletteArrived = true
                }
            }
        }
    }

    /// True once after a palette finished fitting.
    func takePaletteArrived() -> Bool {
        locked {
            let a = paletteArrived
            paletteArrived = false
            return a
        }
    }
}
