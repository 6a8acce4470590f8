/// A key press, decoded from ncurses (or made by a test).
public enum Key: Equatable, Sendable {
    case up, down, left, right
    case enter, escape, backspace, tab
    case resize
    /// Ctrl-C typed while the terminal is in raw mode (also how SIGINT ends up).
    case interrupt
    case char(Character)
    /// A mouse click (button 1) on screen cell (x, y), 0-based.
    case mouse(x: Int, y: Int)
    /// Put the probe on this map cell (what a click on the picture becomes, see `mouseProbe`).
    case probeAt(row: Int, column: Int)
    /// Anything else (function keys the viewer does not use).
    case other(Int)

    /// Decodes a `wget_wch` result: `isFunctionKey` when ncurses returned
    /// KEY_CODE_YES. Function-key codes are ncurses' KEY_* values.
    public static func decode(_ code: UInt32, isFunctionKey: Bool, resizeCode: Int) -> Key {
        if isFunctionKey {
            switch Int(code) {
            case 0o403: return .up
            case 0o402: return .down
            case 0o404: return .left
            case 0o405: return .right
            case 0o407: return .backspace
            case 0o527: return .enter
            case resizeCode: return .resize
            default: return .other(Int(code))
            }
        }
        switch code {
        case 3: return .interrupt
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default:
            guard let s = Unicode.Scalar(code) else { return .other(Int(code)) }
            return .char(Character(s))
        }
    }
}
