/// Loads a PNG or JPEG file as 8-bit RGB, choosing the decoder from the file's
/// magic bytes (not its extension).
///
/// - PNG: any bit depth, grey, palette, with or without alpha; alpha is
///   composited over white (straight alpha, sRGB values).
/// - JPEG: baseline and progressive; grey and CMYK are converted to RGB.
/// - Throws `ImageError` naming `path` for a missing or empty file, truncated
///   or corrupt data, an unknown format, or an image over `maxImagePixels`.
public func loadImage(path: String) throws -> RGBImage {
    let bytes = try readFileBytes(path)
    return try decodeImage(bytes, path: path)
}

/// Decodes PNG or JPEG bytes already in memory; `path` is used in error messages only.
public func decodeImage(_ bytes: [UInt8], path: String) throws -> RGBImage {
    if bytes.isEmpty { throw ImageError(.emptyFile, path: path) }
    if bytes.count >= 8, Array(bytes[0..<8]) == pngSignature {
        return try decodePNG(bytes, path: path)
    }
    if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
        return try decodeJPEG(bytes, path: path)
    }
    if bytes.count < 8, Array(pngSignature[0..<bytes.count]) == bytes {
        throw ImageError(.truncated, path: path, "PNG data ends inside the signature (\(bytes.count) bytes)")
    }
    if bytes.count < 3, bytes[0] == 0xFF, bytes.count == 1 || bytes[1] == 0xD8 {
        throw ImageError(.truncated, path: path, "JPEG data ends inside the signature (\(bytes.count) bytes)")
    }
    let head = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
    throw ImageError(.unknownFormat, path: path, "not a PNG or JPEG (first bytes: \(head))")
}
