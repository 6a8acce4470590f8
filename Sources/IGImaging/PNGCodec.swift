import CPNG

/// The 8-byte PNG signature.
let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Outcome of walking a PNG's chunk list.
enum PNGChunkCheck: Equatable {
    case ok
    /// The data ends before an IEND chunk.
    case truncated
    /// A chunk's CRC does not match its contents.
    case badCRC(String)
}

/// Walks the chunk list of a PNG held in memory, verifying every chunk's
/// CRC (libpng skips some, e.g. IEND's) and that an IEND chunk is reached.
func checkPNGChunks(_ bytes: [UInt8]) -> PNGChunkCheck {
    var pos = 8
    while true {
        if pos + 8 > bytes.count { return .truncated }
        let len = Int(bytes[pos]) << 24 | Int(bytes[pos + 1]) << 16 | Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])
        let isIEND = bytes[pos + 4] == 0x49 && bytes[pos + 5] == 0x45 && bytes[pos + 6] == 0x4E && bytes[pos + 7] == 0x44
        let end = pos + 12 + len
        if end > bytes.count { return .truncated }
        let stored = UInt32(bytes[end - 4]) << 24 | UInt32(bytes[end - 3]) << 16 | UInt32(bytes[end - 2]) << 8 | UInt32(bytes[end - 1])
        let crc = bytes.withUnsafeBufferPointer { crc32(UnsafeBufferPointer(rebasing: $0[(pos + 4)..<(end - 4)])) }
        if crc != stored {
            let name = String(decoding: bytes[(pos + 4)..<(pos + 8)].map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
            return .badCRC(name)
        }
        if isIEND { return .ok }
        pos = end
    }
}

/// CRC-32 (ISO 3309 / PNG), table-driven.
func crc32(_ data: UnsafeBufferPointer<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    crcTable.withUnsafeBufferPointer { t in
        for b in data { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }
    return ~c
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// Decodes PNG bytes (any bit depth, grey, palette, with or without alpha) to
/// 8-bit RGB. Transparent pixels are composited over WHITE in sRGB space with
/// straight alpha: out = (c*a + 255*(255-a)) / 255, rounded. 16-bit channels
/// are reduced to 8 bits by libpng (16-bit data without gAMA/sRGB chunks is
/// treated as sRGB-encoded). Files with a gAMA chunk are converted to sRGB by
/// libpng.
func decodePNG(_ bytes: [UInt8], path: String) throws -> RGBImage {
    switch checkPNGChunks(bytes) {
    case .ok: break
    case .truncated: throw ImageError(.truncated, path: path, "PNG data ends before IEND (\(bytes.count) bytes)")
    case .badCRC(let chunk): throw ImageError(.corrupt, path: path, "PNG chunk \(chunk) fails its CRC check")
    }
    var img = png_image()
    img.version = cpng_image_version()
    defer { png_image_free(&img) }
    let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&img, $0.baseAddress, $0.count) }
    guard began != 0 else {
        throw ImageError(.corrupt, path: path, "PNG header: \(String(cString: cpng_message(&img)))")
    }
    let w = Int(img.width), h = Int(img.height)
    guard w > 0, h > 0, w * h <= maxImagePixels else {
        throw ImageError(.invalidArgument, path: path, "PNG size \(w)x\(h) outside the accepted range (at most \(maxImagePixels) pixels)")
    }
    img.format = cpng_format_rgba()
    // 16-bit files without gAMA/sRGB are taken as sRGB-encoded (as most
    // tools do), not linear, so 16 -> 8 bits is a plain rescale. (Set after
    // begin_read, which clears the struct.)
    img.flags |= cpng_flag_16bit_srgb()
    let size = cpng_image_size(&img)
    var rgba = [UInt8](repeating: 0, count: size)
    let done = rgba.withUnsafeMutableBytes { png_image_finish_read(&img, nil, $0.baseAddress, 0, nil) }
    guard done != 0 else {
        throw ImageError(.corrupt, path: path, "PNG data: \(String(cString: cpng_message(&img)))")
    }
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    rgba.withUnsafeBufferPointer { src in
        rgb.withUnsafeMutableBufferPointer { dst in
            for i in 0..<(w * h) {
                let a = UInt32(src[4 * i + 3])
                if a == 255 {
                    dst[3 * i] = src[4 * i]; dst[3 * i + 1] = src[4 * i + 1]; dst[3 * i + 2] = src[4 * i + 2]
                } else {
                    let bg = 255 * (255 - a)
                    for c in 0..<3 {
                        dst[3 * i + c] = UInt8((UInt32(src[4 * i + c]) * a + bg + 127) / 255)
                    }
                }
            }
        }
    }
    return RGBImage(width: w, height: h, pixels: rgb)
}

/// Encodes an image as an 8-bit RGB PNG in memory.
func encodePNG(_ image: RGBImage, path: String) throws -> [UInt8] {
    guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height * 3 else {
        throw ImageError(.invalidArgument, path: path, "cannot write a \(image.width)x\(image.height) image")
    }
    var img = png_image()
    img.version = cpng_image_version()
    img.width = UInt32(image.width)
    img.height = UInt32(image.height)
    img.format = cpng_format_rgb()
    // Favour speed over file size (fast zlib level / filter choice).
    img.flags = cpng_flag_fast()
    let stride = Int32(image.width * 3)
    // One pass: allocate libpng's worst-case size, then trim.
    var size = cpng_png_size_max(&img)
    var out = [UInt8](repeating: 0, count: size)
    let ok = out.withUnsafeMutableBytes { dst in
        image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
    }
    guard ok != 0, size > 0, size <= out.count else {
        let msg = String(cString: cpng_message(&img)); png_image_free(&img)
        throw ImageError(.io, path: path, "PNG encoding failed: \(msg)")
    }
    png_image_free(&img)
    return Array(out[0..<size])
}

/// `image` as the bytes of an 8-bit RGB PNG file (for terminals that draw PNGs).
public func pngData(_ image: RGBImage) throws -> [UInt8] {
    try encodePNG(image, path: "<memory>")
}

/// Writes `img` as an 8-bit RGB PNG at `path`, atomically (temporary file in
/// the same directory, fsync, rename): on error nothing half-written is left.
public func savePNG(_ img: RGBImage, to path: String) throws {
    let bytes = try encodePNG(img, path: path)
    try writeAtomically(bytes, to: path)
}
