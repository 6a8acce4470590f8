/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// width * height * 3 bytes: row-major, R G B per pixel.
    public var pixels: [UInt8]

    /// Wraps existing pixels. `pixels.count` must be `width * height * 3`
    /// (a programming error otherwise: this traps).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// An image filled with one colour (black by default).
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.width = width; self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { p[3 * i] = fill.0; p[3 * i + 1] = fill.1; p[3 * i + 2] = fill.2 }
        self.pixels = p
    }

    /// The colour at (x, y); no bounds check beyond the array's.
    @inline(__always)
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = 3 * (y * width + x)
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets the colour at (x, y).
    @inline(__always)
    public mutating func setPixel(x: Int, y: Int, _ c: (UInt8, UInt8, UInt8)) {
        let i = 3 * (y * width + x)
        pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
    }
}
