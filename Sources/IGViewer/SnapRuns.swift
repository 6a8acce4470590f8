import IGRender

/// `g` with, along each row, every foreground (background) colour that is
/// within `tolerance` per channel of the colour the terminal already has
/// from the cell to its left replaced by that colour, and the unseen colour
/// of a blank (full block) cell carried over. The picture changes by at most
/// `tolerance` per channel; the terminal gets far fewer colour changes.
func snapRuns(_ g: CellGrid, tolerance: Int) -> CellGrid {
    guard tolerance >= 0, g.width > 0 else { return g }
    var out = g
    func near(_ a: RGB, _ b: RGB) -> Bool {
        abs(Int(a.r) - Int(b.r)) <= tolerance && abs(Int(a.g) - Int(b.g)) <= tolerance && abs(Int(a.b) - Int(b.b)) <= tolerance
    }
    for y in 0..<g.height {
        var fg = out.cells[y * g.width].fg, bg = out.cells[y * g.width].bg
        for x in 0..<g.width {
            var c = out.cells[y * g.width + x]
            if c.glyph == " " || near(c.fg, fg) { c.fg = fg } else { fg = c.fg }
            if c.glyph == "█" || near(c.bg, bg) { c.bg = bg } else { bg = c.bg }
            out.cells[y * g.width + x] = c
        }
    }
    return out
}
