/// A blue-white-red diverging colour map for signed values (the ramp of
/// matplotlib's "bwr", evaluated continuously rather than from a 256-entry
/// table so that 0 is exactly white): `t` = -1 is blue (0, 0, 255), 0 is
/// white (255, 255, 255), +1 is red (255, 0, 0), linear in each channel in
/// between. Values beyond [-1, 1] clamp; NaN is white.
public func divergingColor(_ t: Float) -> (UInt8, UInt8, UInt8) {
    guard t == t else { return (255, 255, 255) }
    let v = min(max(t, -1), 1)
    let w = UInt8(((1 - abs(v)) * 255).rounded())
    return v < 0 ? (w, w, 255) : (255, w, w)
}
