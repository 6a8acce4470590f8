#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory, mapping failures to `ImageError`.
func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        let e = errno
        if e == ENOENT { throw ImageError(.missingFile, path: path) }
        throw ImageError(.io, path: path, "cannot open: \(String(cString: strerror(e)))")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        throw ImageError(.io, path: path, "cannot stat: \(String(cString: strerror(errno)))")
    }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw ImageError(.io, path: path, "is a directory") }
    var out = [UInt8]()
    out.reserveCapacity(max(0, Int(st.st_size)))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ImageError(.io, path: path, "read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

/// Writes `data` to `path` atomically: the bytes go to a new temporary file in
/// the same directory, which is flushed with fsync and then renamed over
/// `path`. Readers see either the old file or the complete new one; on any
/// error the temporary file is removed and nothing at `path` changes.
public func writeAtomically(_ data: [UInt8], to path: String) throws {
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else { throw ImageError(.invalidArgument, path: path, "no file name") }
    let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    if fd < 0 {
        throw ImageError(.io, path: path, "cannot create temporary file in \(dir.isEmpty ? "/" : dir): \(String(cString: strerror(errno)))")
    }
    var ok = false
    defer { if !ok { unlink(tmp) } }
    var written = 0
    while written < data.count {
        let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + written, data.count - written) }
        if n < 0 {
            if errno == EINTR { continue }
            let msg = String(cString: strerror(errno)); close(fd)
            throw ImageError(.io, path: path, "write failed: \(msg)")
        }
        written += n
    }
    if fsync(fd) != 0 {
        let msg = String(cString: strerror(errno)); close(fd)
        throw ImageError(.io, path: path, "fsync failed: \(msg)")
    }
    if close(fd) != 0 { throw ImageError(.io, path: path, "close failed: \(String(cString: strerror(errno)))") }
    if rename(tmp, path) != 0 {
        throw ImageError(.io, path: path, "rename failed: \(String(cString: strerror(errno)))")
    }
    ok = true
    // Best effort: make the rename itself durable.
    let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY)
    if dfd >= 0 { _ = fsync(dfd); close(dfd) }
}

/// A path that does not exist yet: `base.ext`, else `base-1.ext`, `base-2.ext`, ...
/// `ext` may be given with or without its dot; an empty `ext` means no extension.
/// (The check is not atomic with a later create; callers writing with
/// `writeAtomically` may still replace a file created in between.)
public func uniquePath(base: String, ext: String) -> String {
    let e = ext.isEmpty ? "" : (ext.hasPrefix(".") ? ext : "." + ext)
    func exists(_ p: String) -> Bool { access(p, F_OK) == 0 }
    let first = base + e
    if !exists(first) { return first }
    var i = 1
    while exists("\(base)-\(i)\(e)") { i += 1 }
    return "\(base)-\(i)\(e)"
}
