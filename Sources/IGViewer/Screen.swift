import IGRender

/// A colour as the terminal gets it.
public enum TermColor: Hashable, Sendable {
    /// The terminal's default foreground/background.
    case normal
    /// 24-bit colour (direct-colour terminals); never below 8 (see RGB.directSafe).
    case rgb(RGB)
    /// A palette colour number.
    case index(Int)
}

/// One character cell of the screen.
public struct ScreenCell: Equatable, Sendable {
    public var ch: Unicode.Scalar
    public var fg: TermColor
    public var bg: TermColor
    public var bold: Bool
    public var reverse: Bool
    public init(_ ch: Unicode.Scalar = " ", fg: TermColor = .normal, bg: TermColor = .normal, bold: Bool = false, reverse: Bool = false) {
        self.ch = ch; self.fg = fg; self.bg = bg; self.bold = bold; self.reverse = reverse
    }
}

/// The whole screen as values: what `draw` makes and the terminal shows.
public struct Screen: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var cells: [ScreenCell]
    /// The palette the cells' `.index` colours refer to when the viewer
    /// fits one to the picture (the terminal loads it); nil: its own colours.
    public var palette: Palette?

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = [ScreenCell](repeating: ScreenCell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> ScreenCell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y), cut at `maxWidth` columns (and the screen
    /// edge); one scalar per column (the viewer writes no wide characters).
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int = .max, bold: Bool = false, reverse: Bool = false) {
        guard y >= 0, y < height else { return }
        var cx = x
        let end = min(width, maxWidth == .max ? width : x + maxWidth)
        for sc in text.unicodeScalars {
            if cx >= end { break }
            if sc.properties.generalCategory == .nonspacingMark { continue }
            if cx >= 0 { cells[y * width + cx] = ScreenCell(sc.value < 32 ? "?" : sc, bold: bold, reverse: reverse) }
            cx += 1
        }
    }

    /// Row `y` as plain text (trailing spaces kept).
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(cells[y * width + x].ch) }
        return String(s)
    }

    /// All rows as text, for tests and the too-small message.
    public var text: String { (0..<height).map(line).joined(separator: "\n") }
}

/// A rectangle of cells.
public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
}

/// Where everything goes on a screen of a given size.
public struct Layout: Equatable, Sendable {
    public static let minWidth = 48
    public static let minHeight = 12

    public var width: Int
    public var height: Int
    /// False when the terminal is too small to show anything useful.
    public var fits: Bool
    public var image: Rect
    public var panel: Rect
    public var statusRow: Int
    public var hintRow: Int

    /// The image area on the left, the panel on the right, a status line
    /// and a key hint line at the bottom.
    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        fits = width >= Layout.minWidth && height >= Layout.minHeight
        let pw = width >= 110 ? 38 : (width >= 80 ? 32 : 26)
        statusRow = height - 2
        hintRow = height - 1
        panel = Rect(x: max(0, width - pw), y: 0, width: min(pw, width), height: max(0, height - 2))
        image = Rect(x: 0, y: 0, width: max(0, width - pw - 1), height: max(0, height - 2))
    }
}
