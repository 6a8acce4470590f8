/// An 8-bit RGB colour.
public struct RGB: Equatable, Hashable, Sendable {
    /// Red, green, blue, 0...255.
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    /// A colour from its red, green and blue components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// The packed 24-bit value `r<<16 | g<<8 | b`.
    public var packed: Int { Int(r) << 16 | Int(g) << 8 | Int(b) }

    /// This colour moved, if needed, so that its packed value is at least 8.
    ///
    /// ncurses in direct-colour mode sends colour values 0...7 as the eight
    /// ANSI palette colours (`0x000000` becomes `ESC[30m`, whatever the
    /// terminal's palette says). The only colours affected are `(0,0,b)` with
    /// `b < 8`; they become `(0,1,b)` (packed value `256 + b`), the nearest
    /// colour outside the forbidden range (distance 1 in green).
    public var directSafe: RGB {
        (r == 0 && g == 0 && b < 8) ? RGB(0, 1, b) : self
    }
}

/// One terminal cell: a glyph drawn in `fg` over `bg`.
///
/// `fgIndex` / `bgIndex` are terminal colour numbers when the grid was
/// rendered in a palette mode (`.c256`, `.c16`, `.c8`, or with a custom
/// `Palette`, whose colours sit at numbers `palette.firstIndex...`); they are
/// 0 in truecolor, where `fg` / `bg` are the colours to send.
/// `fg` / `bg` are always the RGB colours the cell displays.
public struct Cell: Equatable, Sendable {
    /// The character drawn (space, or a Block Element from `render`).
    public var glyph: Unicode.Scalar
    /// Colour of the glyph's ink and of the rest of the cell.
    public var fg: RGB
    public var bg: RGB
    /// Terminal colour numbers of `fg` / `bg` in palette modes (see above).
    public var fgIndex: UInt8
    public var bgIndex: UInt8

    /// A cell; the indices default to 0 (truecolor).
    public init(glyph: Unicode.Scalar, fg: RGB, bg: RGB, fgIndex: UInt8 = 0, bgIndex: UInt8 = 0) {
        self.glyph = glyph; self.fg = fg; self.bg = bg
        self.fgIndex = fgIndex; self.bgIndex = bgIndex
    }
}

/// A grid of cells, rows top to bottom, `cells[row * width + column]`.
public struct CellGrid: Equatable, Sendable {
    /// Columns and rows.
    public var width: Int
    public var height: Int
    /// `width * height` cells, row by row.
    public var cells: [Cell]
    /// The colour mode the cells were rendered for (decides whether the
    /// colour indices are meaningful).
    public var mode: ColorMode

    /// A grid; `cells` is padded (dark spaces) or cut to `width * height`
    /// rather than trapping on a wrong count.
    public init(width: Int, height: Int, cells: [Cell], mode: ColorMode = .truecolor) {
        self.width = max(0, width); self.height = max(0, height)
        self.mode = mode
        let n = self.width * self.height
        if cells.count == n {
            self.cells = cells
        } else {
            // Never crash on a bad count: pad or cut to the declared size.
            var c = Array(cells.prefix(n))
            c.reserveCapacity(n)
            while c.count < n { c.append(Cell(glyph: " ", fg: RGB(0, 1, 0), bg: RGB(0, 1, 0))) }
            self.cells = c
        }
    }

    /// The cell at `column`, `row` (both must be inside the grid).
    public subscript(column: Int, row: Int) -> Cell {
        get { cells[row * width + column] }
        set { cells[row * width + column] = newValue }
    }
}

/// How many colours the terminal can show.
public enum ColorMode: String, Sendable, CaseIterable {
    /// 24-bit colour (ncurses `*-direct` terminals).
    case truecolor
    /// The 256-colour xterm palette; only the 240 fixed colours 16...255 are
    /// used, since 0...15 differ between terminals.
    case c256 = "256"
    /// The 16 ANSI colours (xterm default values assumed).
    case c16 = "16"
    /// The 8 basic ANSI colours (xterm default values assumed).
    case c8 = "8"

    /// The fixed palette of this mode, nil for truecolor.
    public var fixedPalette: Palette? {
        switch self {
        case .truecolor: return nil
        case .c256: return .xterm240
        case .c16: return .ansi16
        case .c8: return .ansi8
        }
    }
}
