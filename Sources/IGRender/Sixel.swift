import IGImaging

/// Encodes `image` as a DEC sixel image (the format xterm -ti vt340, mlterm,
/// foot, WezTerm and others draw): a palette of up to `colors` (1...256)
/// colours fitted to the picture by k-means (`Palette.kMeans`), every pixel
/// mapped to its nearest palette colour, then bands of six rows, one pass per
/// colour used in the band, run-length encoded (`!n` for runs of 4 or more).
/// Pure: pixels in, bytes out (DCS `ESC P 0;1;0 q` ... ST `ESC \`).
public func sixelEncode(_ image: RGBImage, colors: Int = 256) throws -> [UInt8] {
    try sixelEncodeFitted(image, colors: colors).bytes
}

/// `sixelEncode`, also returning the fitted palette (register i holds colour i),
/// so that patches of the same picture can be encoded with it (`sixelEncode(indices:...)`).
public func sixelEncodeFitted(_ image: RGBImage, colors: Int = 256) throws -> (bytes: [UInt8], palette: Palette) {
    guard image.width > 0, image.height > 0 else { throw PaletteError(description: "sixel: empty image") }
    let palette = try Palette.kMeans(image, count: min(max(colors, 1), 256), firstIndex: 0)
    let w = image.width, h = image.height
    var index = [UInt8](repeating: 0, count: w * h)
    for i in 0..<(w * h) {
        let p = 3 * i
        index[i] = UInt8(palette.nearest(Double(image.pixels[p]), Double(image.pixels[p + 1]), Double(image.pixels[p + 2])))
    }
    return (sixelEncode(indices: index, width: w, height: h, registers: palette.colors), palette)
}

/// A sixel image of `width` x `height` pixels whose pixel i has colour
/// `registers[indices[i]]` (at most 256 registers). Pure.
public func sixelEncode(indices index: [UInt8], width w: Int, height h: Int, registers: [RGB]) -> [UInt8] {
    guard w > 0, h > 0, index.count == w * h, !registers.isEmpty, registers.count <= 256 else { return [] }
    var out = [UInt8]()
    out.reserveCapacity(w * h / 2)
    func put(_ s: String) { out += Array(s.utf8) }
    // P2 = 1: pixels not painted keep the background; raster attributes: 1:1 aspect, size.
    put("\u{1B}P0;1;0q\"1;1;\(w);\(h)")
    for (i, c) in registers.enumerated() {
        // Colour registers take percentages 0...100.
        func pct(_ v: UInt8) -> Int { (Int(v) * 100 + 127) / 255 }
        put("#\(i);2;\(pct(c.r));\(pct(c.g));\(pct(c.b))")
    }
    var bits = [UInt8](repeating: 0, count: w)
    for band in stride(from: 0, to: h, by: 6) {
        let rows = min(6, h - band)
        var used = [Bool](repeating: false, count: registers.count)
        for r in 0..<rows { for x in 0..<w where Int(index[(band + r) * w + x]) < registers.count { used[Int(index[(band + r) * w + x])] = true } }
        var first = true
        for c in used.indices where used[c] {
            for x in 0..<w {
                var b: UInt8 = 0
                for r in 0..<rows where Int(index[(band + r) * w + x]) == c { b |= 1 << r }
                bits[x] = b
            }
            if !first { put("$") }
            first = false
            put("#\(c)")
            var x = 0
            while x < w {
                var n = 1
                while x + n < w && bits[x + n] == bits[x] { n += 1 }
                let ch = 63 + bits[x]
                if n >= 4 { put("!\(n)"); out.append(ch) } else { out += [UInt8](repeating: ch, count: n) }
                x += n
            }
        }
        put("-")
    }
    put("\u{1B}\\")
    return out
}
