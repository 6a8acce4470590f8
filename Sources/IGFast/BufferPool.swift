import Foundation
import IGEngine

/// Reuses large activation buffers between steps and between calls.
///
/// A fresh large allocation is an `mmap` in glibc (always above 32 MB), so
/// every step of every call paid page faults and the kernel's zeroing for its
/// output: at batch 16, EfficientNet-Lite0's 112x112 tensors (77 MB) made
/// each 1x1 convolution several times slower than its arithmetic. Freed
/// buffers of at least `minBytes` are kept here by exact size (a plan asks
/// for the same sizes every call) up to `capBytes` in total, and handed out
/// again; smaller ones go straight to the allocator.
/// `@unchecked Sendable`: `free` and `freeBytes` are read and written under
/// `lock`; a buffer belongs to one caller between `take` and `give`.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Buffers below this size are not pooled.
    let minBytes = 1 << 20
    /// Most bytes kept free in the pool (the rest is returned to the system).
    let capBytes: Int
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var freeBytes = 0
    private let lock = NSLock()

    init() {
        let env = ProcessInfo.processInfo.environment["IGCAM_POOL_MB"].flatMap { Int($0) }
        capBytes = (env ?? 1536) << 20
    }

    /// A 64-byte aligned buffer of `bytes` (at least 1) bytes.
    func take(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        let n = max(bytes, 64)
        if n >= minBytes {
            lock.lock()
            if let p = free[n]?.popLast() {
                freeBytes -= n
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, n) == 0, let p else {
            throw EngineError("out of memory: could not allocate \(n) bytes for a tensor")
        }
        return p
    }

    /// Returns a buffer from `take(bytes)`.
    func give(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        let n = max(bytes, 64)
        if n >= minBytes {
            lock.lock()
            if freeBytes + n <= capBytes {
                free[n, default: []].append(p)
                freeBytes += n
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(p)
    }
}
