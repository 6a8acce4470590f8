import CNcurses
import Foundation
import IGRender

/// The last of SIGINT, SIGTERM, SIGHUP caught (0: none); the UI loop polls it. The handlers
/// live in C (Sources/CNcurses/signals.c) and only set a `volatile sig_atomic_t`: no Swift
/// code runs inside a signal handler.
var caughtSignal: Int32 { ig_caught_signal() }

/// The ncurses screen. Every call happens on the thread that made it.
final class Terminal {
    private(set) var mode: ColorMode
    let canChangeColor: Bool
    /// How many colours the terminal has (0 without colour).
    let colors: Int
    /// Load each frame's `Screen.palette` into colours 16...255.
    var loadsPalettes = false
    /// The palette loaded (nil: the terminal's own colours).
    private var loadedPalette: Palette?
    private var screen: OpaquePointer?
    private var previous: Screen?
    /// Colour pairs by (fg, bg), numbered 1, 2, ... in order of first use:
    /// a dictionary look-up per cell instead of ncurses' alloc_pair search.
    private var pairOf: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1
    private var closed = false
    /// Cells to report writes in (the pixel picture's), see `written`.
    var watch: Rect?
    /// The cells inside `watch` the last `show` wrote (sixel pictures there are erased).
    private(set) var written: [(x: Int, y: Int)] = []
    /// True when the last `show` cleared and repainted the whole terminal.
    private(set) var repainted = false
    private var clearPending = true
    /// True when ncurses reports mouse clicks (asked for, and the terminal has a mouse).
    private(set) var mouse = false

    /// Opens the full screen in `requested` mode (lowered when the terminal
    /// has fewer colours unless `forced`).
    init(mode requested: ColorMode, forced: Bool, mouse wantsMouse: Bool = false) throws {
        guard isatty(0) == 1, isatty(1) == 1 else { throw ViewerError("the viewer needs a terminal (stdin and stdout must be a tty)") }
        let env = ProcessInfo.processInfo.environment
        guard let term = env["TERM"], !term.isEmpty, term != "dumb" else {
            throw ViewerError("TERM is not set (or is 'dumb'); the viewer needs a terminal with colours")
        }
        setlocale(LC_ALL, "")
        if env["ESCDELAY"] == nil { setenv("ESCDELAY", "25", 1) }
        // Handle, and unblock, the signals that must restore the terminal: a parent that
        // started us with them blocked (a signal mask is inherited) would otherwise leave
        // Ctrl-C and SIGTERM pending forever.
        guard ig_install_signal_handlers() == 0 else { throw ViewerError("cannot install signal handlers") }
        var scr: OpaquePointer?
        if requested == .truecolor && !term.hasSuffix("-direct") {
            if let dir = directTerminfoDirectory(environment: env) {
                setenv("TERMINFO", dir, 1)
                scr = ig_newterm("igcam-direct")
                unsetenv("TERMINFO")
            }
            if scr == nil { scr = ig_newterm("xterm-direct") }
        }
        if scr == nil { scr = ig_newterm(nil) }
        guard let scr else { throw ViewerError("cannot open the terminal '\(term)' with ncurses") }
        screen = scr
        set_term(scr)
        cbreak(); noecho(); nonl()
        keypad(ig_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        wtimeout(ig_stdscr(), 30)
        // Mouse capture also stops the terminal's own text selection (Shift-drag still
        // selects in most terminals): opt-out with --no-mouse.
        if wantsMouse { mouse = ig_mouse_on() != 0 }
        if has_colors() {
            start_color()
            use_default_colors()
        }
        canChangeColor = can_change_color()
        let colors = has_colors() ? ig_colors() : 0
        self.colors = Int(colors)
        var m = requested
        if m == .truecolor && colors < 1 << 24 { m = colors >= 256 ? .c256 : (colors >= 16 ? .c16 : .c8) }
        if !forced && m == .c256 && colors < 256 { m = colors >= 16 ? .c16 : .c8 }
        mode = m
    }

    var size: (width: Int, height: Int) { (Int(ig_cols()), Int(ig_lines())) }

    /// True when the terminal has gone away (hung up) without a SIGHUP reaching the viewer,
    /// e.g. under nohup or outside the terminal's foreground group: reads then fail at once, so
    /// without this check the key loop would spin at 100 % CPU forever. One poll(2), no wait.
    var hungUp: Bool {
        var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) >= 0 else { return false }
        return p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// The next key, or nil after the timeout (30 ms, or `wait` = false: none).
    func readKey(wait: Bool = true) -> Key? {
        wtimeout(ig_stdscr(), wait ? 30 : 0)
        var ch: wint_t = 0
        let r = ig_get(&ch)
        if r == ERR { return nil }
        if r == ig_key_code_yes(), Int32(ch) == ig_key_mouse() {
            var x: Int32 = 0, y: Int32 = 0
            return ig_mouse_click(&x, &y) == 1 ? .mouse(x: Int(x), y: Int(y)) : .other(Int(ch))
        }
        return Key.decode(UInt32(ch), isFunctionKey: r == ig_key_code_yes(), resizeCode: Int(ig_key_resize()))
    }

    private func colorNumber(_ c: TermColor) -> Int32 {
        switch c {
        case .normal: return -1
        case .rgb(let v): return Int32(v.directSafe.packed)
        case .index(let i): return Int32(i)
        }
    }

    /// The pair for (fg, bg): from the cache, or the next fresh pair
    /// (0, the default colours, if ncurses refuses).
    private func pairNumber(_ fg: Int32, _ bg: Int32) -> Int32 {
        let k = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let p = pairOf[k] { return p }
        guard nextPair < ig_color_pairs(), init_extended_pair(nextPair, fg, bg) != ERR else { return 0 }
        let p = nextPair
        nextPair += 1
        pairOf[k] = p
        return p
    }

    /// Redefines colours `p.firstIndex...` as `p` (nil: back to the xterm
    /// values of 16...255) with init_extended_color, when it is not loaded.
    /// endwin restores the terminal's palette (terminfo `oc`).
    private func loadPalette(_ p: Palette?) {
        guard loadsPalettes, canChangeColor, p != loadedPalette else { return }
        let q = p ?? .xterm240
        for i in q.colors.indices {
            let c = q.cursesComponents(i)
            _ = init_extended_color(Int32(q.firstIndex + i), Int32(c.r), Int32(c.g), Int32(c.b))
        }
        loadedPalette = p
    }

    /// Shows `s`, sending only cells that changed since the last frame.
    func show(_ s: Screen) {
        loadPalette(s.palette)
        let full = previous.map { $0.width != s.width || $0.height != s.height } ?? true
        if Int(nextPair) + s.cells.count + 16 > Int(ig_color_pairs()) {
            // Too few fresh pairs left for a whole frame: start over (fresh
            // pairs never make ncurses scan the screen for cells to touch).
            reset_color_pairs()
            pairOf.removeAll(keepingCapacity: true)
            nextPair = 1
            previous = nil
            clearPending = true
        }
        repainted = clearPending
        clearPending = false
        written.removeAll(keepingCapacity: true)
        if full || previous == nil { werase(ig_stdscr()) }
        let old = full ? nil : previous
        for y in 0..<s.height {
            for x in 0..<s.width {
                let c = s.cells[y * s.width + x]
                if let o = old, o.cells[y * s.width + x] == c { continue }
                if let w = watch, x >= w.x, y >= w.y, x < w.x + w.width, y < w.y + w.height { written.append((x, y)) }
                var pair: Int32 = 0
                if c.fg != .normal || c.bg != .normal {
                    pair = pairNumber(colorNumber(c.fg), colorNumber(c.bg))
                }
                var attrs = ig_a_normal()
                if c.bold { attrs |= ig_a_bold() }
                if c.reverse { attrs |= ig_a_reverse() }
                // The bottom-right cell scrolls some terminals when written: skip its error.
                _ = ig_put(Int32(y), Int32(x), wchar_t(bitPattern: c.ch.value), pair, attrs)
            }
        }
        previous = s
        wnoutrefresh(ig_stdscr())
        doupdate()
    }

    /// Tells ncurses the screen is now `width` x `height` (when the viewer runs
    /// on its own pseudo-terminal, which sends no SIGWINCH) and repaints.
    func resize(width: Int, height: Int) {
        _ = resizeterm(Int32(height), Int32(width))
        invalidate()
    }

    /// Forgets the last frame so the next `show` repaints everything.
    func invalidate() { previous = nil; clearPending = true; clearok(ig_stdscr(), true) }

    /// Restores the terminal (safe to call twice).
    func close() {
        guard !closed else { return }
        closed = true
        if mouse { ig_mouse_off() }
        endwin()
        if let s = screen { delscreen(s) }
        screen = nil
        ig_restore_signal_handlers()
    }
}
