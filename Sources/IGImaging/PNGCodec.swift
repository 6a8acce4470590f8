import CPNG

/// The 8-byte PNG signature.
let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Walks the chunk list of a PNG held in memory and reports whether the data
/// ends before an IEND chunk (i.e. the file was cut short).
func pngIsTruncated(_ bytes: [UInt8]) -> Bool {
    var pos = 8
    while true {
        if pos + 8 > bytes.count { return true }
        let len = Int(bytes[pos]) << 24 | Int(bytes[pos + 1]) << 16 | Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])
        let isIEND = bytes[pos + 4] == 0x49 && bytes[pos + 5] == 0x45 && bytes[pos + 6] == 0x4E && bytes[pos + 7] == 0x44
        let end = pos + 12 + len
        if end > bytes.count { return true }
        if isIEND { return false }
        pos = end
    }
}

/// Decodes PNG bytes (any bit depth, grey, palette, with or without alpha) to
/// 8-bit RGB. Transparent pixels are composited over WHITE in sRGB space with
/// straight alpha: out = (c*a + 255*(255-a)) / 255, rounded. 16-bit channels
/// are reduced to 8 bits by libpng.
func decodePNG(_ bytes: [UInt8], path: String) throws -> RGBImage {
    if bytes.count < 8 + 25 || pngIsTruncated(bytes) {
        throw ImageError(.truncated, path: path, "PNG data ends early (\(bytes.count) bytes)")
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
    var size = 0
    let stride = Int32(image.width * 3)
    let sized = image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, nil, &size, 0, $0.baseAddress, stride, nil) }
    guard sized != 0, size > 0 else {
        let msg = String(cString: cpng_message(&img)); png_image_free(&img)
        throw ImageError(.io, path: path, "PNG encoding failed: \(msg)")
    }
    var out = [UInt8](repeating: 0, count: size)
    let ok = out.withUnsafeMutableBytes { dst in
        image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
    }
    guard ok != 0 else {
        let msg = String(cString: cpng_message(&img)); png_image_free(&img)
        throw ImageError(.io, path: path, "PNG encoding failed: \(msg)")
    }
    png_image_free(&img)
    return Array(out[0..<size])
}

/// Writes `img` as an 8-bit RGB PNG at `path`, atomically (temporary file in
/// the same directory, fsync, rename): on error nothing half-written is left.
public func savePNG(_ img: RGBImage, to path: String) throws {
    let bytes = try encodePNG(img, path: path)
    try writeAtomically(bytes, to: path)
}
