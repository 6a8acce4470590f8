import IGImaging

/// Sub-cell sampling grid used to fit glyphs: 8 x 8 samples per cell (all
/// Block Elements boundaries fall on eighths).
let sub = 8

/// Renders `image` into a `columns` x `rows` grid of glyph cells.
///
/// The image is area-resampled to 8 x 8 samples per cell. For every cell and
/// every candidate glyph of `glyphs`, the foreground colour is the mean of the
/// covered samples and the background the mean of the rest (the least-squares
/// optimum); in palette modes both are then replaced by their nearest palette
/// colours (which is again the least-squares optimum for that glyph) and the
/// glyph with the smallest squared RGB error *after* quantisation wins.
///
/// - `mode`: `.truecolor` gives RGB colours, never with a packed value below 8
///   (see `RGB.directSafe`); the other modes choose from `mode.fixedPalette`.
/// - `palette`: replaces the fixed 240 colours in `.c256` (a per-image palette
///   loaded into colour numbers `palette.firstIndex...`); ignored otherwise.
/// - Non-positive `columns`/`rows` give an empty grid; an empty image gives
///   a grid of dark cells.
public func render(_ image: RGBImage, columns: Int, rows: Int, glyphs: GlyphSet, mode: ColorMode, palette: Palette? = nil) -> CellGrid {
    guard columns > 0, rows > 0 else { return CellGrid(width: 0, height: 0, cells: [], mode: mode) }
    let pal: Palette? = mode == .c256 ? (palette ?? .xterm240) : mode.fixedPalette
    guard image.width > 0, image.height > 0 else {
        let dark = RGB(0, 1, 0)
        return CellGrid(width: columns, height: rows, cells: [Cell](repeating: Cell(glyph: " ", fg: dark, bg: dark), count: columns * rows), mode: mode)
    }
    let sw = columns * sub
    let samples = areaResample(image, sw, rows * sub)
    let cands = glyphs.candidates
    var cells = [Cell]()
    cells.reserveCapacity(columns * rows)
    let fitter = CellFitter(candidates: cands, palette: pal)
    samples.withUnsafeBufferPointer { s in
        for cy in 0..<rows {
            for cx in 0..<columns {
                let base = (cy * sub * sw + cx * sub) * 3
                cells.append(fitter.fit(s.baseAddress! + base, rowStride: sw * 3))
            }
        }
    }
    return CellGrid(width: columns, height: rows, cells: cells, mode: mode)
}

/// Grid size for showing a `imageWidth` x `imageHeight` image in at most
/// `maxColumns` x `maxRows` cells, keeping its aspect ratio for cells
/// `cellAspect` times higher than wide (about 2 in most fonts). Both results
/// are at least 1 when the inputs are positive, (0, 0) otherwise.
public func fitGrid(imageWidth: Int, imageHeight: Int, maxColumns: Int, maxRows: Int, cellAspect: Double = 2.0) -> (columns: Int, rows: Int) {
    guard imageWidth > 0, imageHeight > 0, maxColumns > 0, maxRows > 0, cellAspect > 0, cellAspect.isFinite else { return (0, 0) }
    // columns / rows = imageWidth * cellAspect / imageHeight
    let ratio = Double(imageWidth) * cellAspect / Double(imageHeight)
    var cols = maxColumns
    var rows = Int((Double(cols) / ratio).rounded())
    if rows > maxRows {
        rows = maxRows
        cols = min(maxColumns, Int((Double(rows) * ratio).rounded()))
    }
    return (max(1, cols), max(1, rows))
}
