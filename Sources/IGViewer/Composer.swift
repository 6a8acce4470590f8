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
}

/// Turns the photo and a map into cells with IGRender, keeping recent
/// results: a display-only key re-renders one tile, a repeated state none.
/// With `prefetch` on, the tiles the display-only keys o, c and v lead to
/// are rendered ahead on a background queue once the map is final, so
/// those keys usually find their tile ready. Thread-safe.
public final class Composer: @unchecked Sendable {
    public let mode: ColorMode
    public let glyphs: GlyphSet
    /// A per-image palette for 256-colour terminals that can load one.
    public var palette: Palette?
    /// Render the tiles of the next o / c / v states in the background.
    public var prefetch = false
    /// Fit a 240-colour palette to each picture (k-means, in the background)
    /// and render with it; only used in `.c256` mode (see `usesImagePalette`).
    public var imagePalettes = false
    private let paletteQueue = DispatchQueue(label: "igcam.composer.palette", qos: .userInitiated)
    private var palettes: [PaletteKey: Palette] = [:]
    private var paletteOrder: [PaletteKey] = []
    private var palettePending = Set<PaletteKey>()
    private var paletteArrived = false
    private var frameKey: PaletteKey?
    /// The palette the current frame's cells index (colour numbers
    /// `firstIndex...`), or nil for the terminal's own colours; with
    /// `imagePalettes` the terminal must have it loaded to show the frame.
    public private(set) var framePalette: Palette?
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "igcam.composer.prefetch", qos: .utility)
    private var bases: [String: RGBImage] = [:]
    private var baseOrder: [String] = []
    private var tiles: [TileSpec: CellGrid] = [:]
    private var tileOrder: [TileSpec] = []
    private var inFlight = Set<TileSpec>()
    private var _renders = 0
    private var _prefetched = 0
    /// How many tile renders were made on the caller's thread (not served from the cache).
    public var renders: Int { lock.lock(); defer { lock.unlock() }; return _renders }
    /// How many tiles were rendered ahead in the background.
    public var prefetched: Int { lock.lock(); defer { lock.unlock() }; return _prefetched }

    public init(mode: ColorMode, glyphs: GlyphSet = .blocks, palette: Palette? = nil) {
        self.mode = mode; self.glyphs = glyphs; self.palette = palette; framePalette = palette
    }

    /// Pixels per cell handed to the renderer: enough for its 8x8 fitting of
    /// block elements without paying for more.
    static let sampleW = 4, sampleH = 8

    /// The photo resized for a tile of `columns` x `rows` cells.
    func base(_ path: String, _ image: RGBImage, _ columns: Int, _ rows: Int) -> RGBImage {
        let k = "\(path)|\(columns)x\(rows)"
        lock.lock()
        if let b = bases[k] { lock.unlock(); return b }
        lock.unlock()
        let b = resizeBilinear(image, width: columns * Self.sampleW, height: rows * Self.sampleH)
        lock.lock()
        if bases[k] == nil {
            bases[k] = b
            baseOrder.append(k)
            if baseOrder.count > 12 { bases[baseOrder.removeFirst()] = nil }
        }
        lock.unlock()
        return b
    }

    /// The picture a tile shows at full resolution of `image` (for saving).
    static func picture(_ image: RGBImage, view: ViewMode, map: MapResult?, colorMap: ColorMap, opacity: Float) -> RGBImage {
        guard let m = map, view != .image else { return image }
        switch view {
        case .heatmap:
            return overlay(image: image, map: m.map, mapWidth: m.width, mapHeight: m.height, colorMap: colorMap, opacity: 1)
        default:
            return overlay(image: image, map: m.map, mapWidth: m.width, mapHeight: m.height, colorMap: colorMap, opacity: opacity)
        }
    }

    /// The cache key of the tile `state` shows for `method`, and its map.
    func spec(state: ViewerState, method: Method, columns: Int, rows: Int) -> (TileSpec, MapResult?) {
        let key = state.key(for: method)
        let r = key.flatMap { state.results[$0] }
        let view: ViewMode = state.view == .grid ? .overlay : state.view
        let spec = TileSpec(image: state.imagePath ?? "", columns: columns, rows: rows, view: view, opacity: state.opacity,
                            colorMap: state.colorMap, map: view == .image ? nil : (r == nil ? nil : key),
                            done: r?.done ?? 0, final: r?.isFinal ?? false, palette: frameKey)
        return (spec, r)
    }

    private func cached(_ spec: TileSpec) -> CellGrid? {
        lock.lock(); defer { lock.unlock() }
        return tiles[spec]
    }

    private func make(_ spec: TileSpec, _ image: RGBImage, _ r: MapResult?, _ pal: Palette?) -> CellGrid {
        let b = base(spec.image, image, spec.columns, spec.rows)
        let pic = Self.picture(b, view: spec.view, map: r, colorMap: spec.colorMap, opacity: spec.opacity)
        let g = render(pic, columns: spec.columns, rows: spec.rows, glyphs: glyphs, mode: mode, palette: pal)
        return mode == .truecolor ? snapRuns(g, tolerance: Self.snapTolerance) : g
    }

    /// Largest per-channel change (of 255) a truecolor cell colour may take to
    /// reuse its left neighbour's: ncurses then sends no colour sequence for
    /// it, which cuts the bytes of an image frame by about a third.
    static let snapTolerance = 4

    private func store(_ spec: TileSpec, _ g: CellGrid) {
        lock.lock(); defer { lock.unlock() }
        if tiles[spec] == nil {
            tileOrder.append(spec)
            if tileOrder.count > 48 { tiles[tileOrder.removeFirst()] = nil }
        }
        tiles[spec] = g
    }

    /// Cells for the photo `image` with `map` (view, colour map and opacity from `state`).
    func tile(state: ViewerState, image: RGBImage, method: Method, columns: Int, rows: Int) -> CellGrid {
        let (spec, r) = spec(state: state, method: method, columns: columns, rows: rows)
        defer { if prefetch { prefetchNeighbours(state: state, image: image, columns: columns, rows: rows) } }
        if let g = cached(spec) { return g }
        let g = make(spec, image, r, framePalette)
        lock.lock(); _renders += 1; lock.unlock()
        store(spec, g)
        return g
    }

    /// Starts background renders of the tiles that o, c and v would show
    /// next (only for a final map, outside the grid view; at most once each).
    func prefetchNeighbours(state: ViewerState, image: RGBImage, columns: Int, rows: Int) {
        guard state.view != .grid, let k = state.currentKey, state.results[k]?.isFinal == true else { return }
        for key in ["o", "c", "v"] {
            let next = reduce(state, .char(Character(key))).0
            // The palette that state will be drawn with: its own once fitted
            // (the next colour map's is fitted ahead), else the current one.
            var pk = frameKey, pal = framePalette
            if imagePalettes, mode == .c256, let want = paletteKey(next) {
                lock.lock(); let ready = palettes[want]; lock.unlock()
                if let ready { pk = want; pal = ready } else {
                    requestPalette(want, map: want.map.flatMap { next.results[$0] }, image: image, columns: columns, rows: rows)
                }
            }
            guard next.view != .grid else { continue }
            var (spec, r) = spec(state: next, method: next.method, columns: columns, rows: rows)
            spec.palette = pk
            lock.lock()
            let skip = tiles[spec] != nil || inFlight.contains(spec)
            if !skip { inFlight.insert(spec) }
            lock.unlock()
            if skip { continue }
            queue.async { [self, spec, r, pal] in
                let g = make(spec, image, r, pal)
                store(spec, g)
                lock.lock(); inFlight.remove(spec); _prefetched += 1; lock.unlock()
            }
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
        lock.lock(); let p = palettes[key]; lock.unlock()
        if let p { frameKey = key; framePalette = p; return }
        requestPalette(key, map: key.map.flatMap { state.results[$0] }, image: image, columns: columns, rows: rows)
        if frameKey?.image != key.image { frameKey = nil; framePalette = nil }
    }

    /// Fits the palette `key` on the palette queue (once; ~140 ms).
    func requestPalette(_ key: PaletteKey, map: MapResult?, image: RGBImage, columns: Int, rows: Int) {
        lock.lock()
        let skip = palettes[key] != nil || palettePending.contains(key)
        if !skip { palettePending.insert(key) }
        lock.unlock()
        if skip { return }
        paletteQueue.async { [self] in
            let b = base(key.image, image, columns, rows)
            let p = try? Palette.kMeans(paletteTrainingImage(b, map: map, colorMap: key.colorMap), count: 240, firstIndex: 16)
            lock.lock()
            palettePending.remove(key)
            if let p {
                palettes[key] = p
                paletteOrder.append(key)
                if paletteOrder.count > 16 { palettes[paletteOrder.removeFirst()] = nil }
                paletteArrived = true
            }
            lock.unlock()
        }
    }

    /// True once after a palette finished fitting (the UI redraws then).
    public func takePaletteArrived() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let a = paletteArrived
        paletteArrived = false
        return a
    }
}
