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
}

/// Turns the photo and a map into cells with IGRender, keeping recent
/// results: a display-only key re-renders one tile, a repeated state none.
public final class Composer {
    public let mode: ColorMode
    public let glyphs: GlyphSet
    /// A per-image palette for 256-colour terminals that can load one.
    public var palette: Palette?
    private var bases: [String: RGBImage] = [:]
    private var baseOrder: [String] = []
    private var tiles: [TileSpec: CellGrid] = [:]
    private var tileOrder: [TileSpec] = []
    /// How many tile renders were made (not served from the cache).
    public private(set) var renders = 0

    public init(mode: ColorMode, glyphs: GlyphSet = .blocks, palette: Palette? = nil) {
        self.mode = mode; self.glyphs = glyphs; self.palette = palette
    }

    /// Pixels per cell handed to the renderer: enough for its 8x8 fitting of
    /// block elements without paying for more.
    static let sampleW = 4, sampleH = 8

    /// The photo resized for a tile of `columns` x `rows` cells.
    func base(_ path: String, _ image: RGBImage, _ columns: Int, _ rows: Int) -> RGBImage {
        let k = "\(path)|\(columns)x\(rows)"
        if let b = bases[k] { return b }
        let b = resizeBilinear(image, width: columns * Self.sampleW, height: rows * Self.sampleH)
        bases[k] = b
        baseOrder.append(k)
        if baseOrder.count > 12 { bases[baseOrder.removeFirst()] = nil }
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

    /// Cells for the photo `image` with `map` (view, colour map and opacity from `state`).
    func tile(state: ViewerState, image: RGBImage, method: Method, columns: Int, rows: Int) -> CellGrid {
        let key = state.key(for: method)
        let r = key.flatMap { state.results[$0] }
        let view: ViewMode = state.view == .grid ? .overlay : state.view
        let spec = TileSpec(image: state.imagePath ?? "", columns: columns, rows: rows, view: view, opacity: state.opacity,
                            colorMap: state.colorMap, map: view == .image ? nil : (r == nil ? nil : key),
                            done: r?.done ?? 0, final: r?.isFinal ?? false)
        if let g = tiles[spec] { return g }
        let b = base(spec.image, image, columns, rows)
        let pic = Self.picture(b, view: view, map: r, colorMap: state.colorMap, opacity: state.opacity)
        let g = render(pic, columns: columns, rows: rows, glyphs: glyphs, mode: mode, palette: palette)
        renders += 1
        tiles[spec] = g
        tileOrder.append(spec)
        if tileOrder.count > 48 { tiles[tileOrder.removeFirst()] = nil }
        return g
    }
}
