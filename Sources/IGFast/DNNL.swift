import CDNNL
import Foundation
import IGEngine

/// Thin Swift wrappers over the oneDNN 2.6 C API: status checks, the CPU
/// engine, memory objects that own their buffer, primitives that own their
/// descriptor, and conversions between `Tensor` (plain row-major) and memory.

typealias MD = dnnl_memory_desc_t

/// Throws an `EngineError` naming `what` unless `status` is success.
@inline(__always)
func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    if status != dnnl_success { throw EngineError("oneDNN \(what()) failed (status \(status.rawValue))") }
}

/// The process-wide CPU engine. `@unchecked Sendable`: set once in `init` and
/// never changed; oneDNN engines are thread-safe.
final class DNNLContext: @unchecked Sendable {
    static let shared = DNNLContext()
    let engine: OpaquePointer?
    let error: String?

    private init() {
        var e: OpaquePointer?
        let s = dnnl_engine_create(&e, dnnl_cpu, 0)
        if s == dnnl_success { engine = e; error = nil } else { engine = nil; error = "oneDNN CPU engine creation failed (status \(s.rawValue))" }
    }

    func cpu() throws -> OpaquePointer {
        guard let engine else { throw EngineError(error ?? "oneDNN engine unavailable") }
        return engine
    }

    /// A new in-order stream; one per call so concurrent calls never share one.
    func makeStream() throws -> Stream {
        var s: OpaquePointer?
        try check(dnnl_stream_create(&s, try cpu(), UInt32(dnnl_stream_default_flags.rawValue)), "stream creation")
        guard let s else { throw EngineError("oneDNN stream creation returned no stream") }
        return Stream(s)
    }
}

final class Stream {
    let s: OpaquePointer
    init(_ s: OpaquePointer) { self.s = s }
    deinit { dnnl_stream_destroy(s) }
    func wait() throws { try check(dnnl_stream_wait(s), "stream wait") }
}

// MARK: memory descriptors

func plainTag(rank: Int) -> dnnl_format_tag_t {
    switch rank {
    case 1: return dnnl_a
    case 2: return dnnl_ab
    case 3: return dnnl_abc
    case 4: return dnnl_abcd
    case 5: return dnnl_abcde
    default: return dnnl_abcdef
    }
}

func makeMD(_ dims: [Int], tag: dnnl_format_tag_t) throws -> MD {
    guard !dims.isEmpty, dims.count <= 6 else { throw EngineError("oneDNN: unsupported tensor rank \(dims.count)") }
    var md = MD()
    let d = dims.map { Int64($0) }
    try check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "memory descriptor for \(dims)")
    return md
}

/// Row-major f32 descriptor (a scalar becomes [1]).
func plainMD(_ dims: [Int]) throws -> MD { try makeMD(dims.isEmpty ? [1] : dims, tag: plainTag(rank: max(dims.count, 1))) }

/// "Let the primitive choose" descriptor.
func anyMD(_ dims: [Int]) throws -> MD { try makeMD(dims, tag: dnnl_format_tag_any) }

func dimsOf(_ md: MD) -> [Int] {
    var m = md
    let n = Int(m.ndims)
    return withUnsafeBytes(of: &m.dims) { raw in (0..<n).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) } }
}

func mdEqual(_ a: MD, _ b: MD) -> Bool {
    var x = a, y = b
    return dnnl_memory_desc_equal(&x, &y) != 0
}


// MARK: memory

/// A oneDNN memory object owning its buffer.
/// `@unchecked Sendable`: its identity (handle, descriptor, buffer) never
/// changes; `pooled` is set once right after creation, before it is shared.
/// Its contents are written by the one step that produces it, before any
/// reader sees it (steps of a call run in order; calls do not share memories
/// except constant weights, which are only read).
final class DMem: @unchecked Sendable {
    let mem: OpaquePointer
    let md: MD
    let bytes: Int

    /// The buffer, owned by this memory and returned to `BufferPool` on deinit.
    private let buffer: UnsafeMutableRawPointer

    init(_ md: MD) throws {
        var m: OpaquePointer?
        var d = md
        let size = dnnl_memory_desc_get_size(&d)
        let buf = try BufferPool.shared.take(size)
        do {
            try check(dnnl_memory_create(&m, &d, try DNNLContext.shared.cpu(), buf), "memory allocation for \(dimsOf(md))")
        } catch {
            BufferPool.shared.give(buf, size)
            throw error
        }
        guard let m else {
            BufferPool.shared.give(buf, size)
            throw EngineError("oneDNN memory allocation returned nothing")
        }
        self.mem = m
        self.md = md
        self.bytes = size
        self.buffer = buf
    }

    /// Whether the buffer goes back to the pool on deinit (false for
    /// one-off buffers such as plain weights before their reorder).
    var pooled = true

    deinit {
        dnnl_memory_destroy(mem)
        if pooled { BufferPool.shared.give(buffer, bytes) } else { free(buffer) }
    }

    var dims: [Int] { dimsOf(md) }

    var floats: UnsafeMutablePointer<Float> {
        var h: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(mem, &h)
        return h!.assumingMemoryBound(to: Float.self)
    }

    var floatCount: Int { bytes / 4 }

    /// A plain memory holding a copy of `t`.
    static func from(_ t: Tensor) throws -> DMem {
        let m = try DMem(plainMD(t.shape))
        t.data.withUnsafeBufferPointer { src in m.floats.update(from: src.baseAddress!, count: t.count) }
        return m
    }

    /// Plain memory of the same dims with the data of `bytes` reinterpreted
    /// (only valid when this memory is plain).
    func tensorCopy() -> Tensor {
        let shape = dims
        let n = shape.reduce(1, *)
        let data = [Float](unsafeUninitializedCapacity: n) { buf, count in
            buf.baseAddress!.update(from: floats, count: n)
            count = n
        }
        return Tensor(shape: shape, data: data)
    }
}

// MARK: primitives

/// A primitive and its descriptor.
/// `@unchecked Sendable`: oneDNN primitives may execute on several threads at
/// once given a scratchpad each (see `execute`); `spare` and `scratchMD` are
/// only touched under `spareLock`.
final class Prim: @unchecked Sendable {
    let pd: OpaquePointer
    let prim: OpaquePointer

    /// From an initialised operation descriptor.
    /// `attr` must ask for a user scratchpad (see `Attr`); nil means a plain one.
    convenience init<D>(_ desc: D, attr: OpaquePointer? = nil, hint: Prim? = nil, _ what: String) throws {
        var d = desc
        var pd: OpaquePointer?
        let plain = attr == nil ? try Attr(postEltwise: nil) : nil
        let s = withUnsafePointer(to: &d) { p in
            dnnl_primitive_desc_create(&pd, UnsafeRawPointer(p), attr ?? plain?.attr, (try? DNNLContext.shared.cpu()), hint?.pd)
        }
        try check(s, "\(what) primitive descriptor")
        guard let pd else { throw EngineError("oneDNN returned no \(what) primitive descriptor") }
        try self.init(pd: pd, what)
    }

    /// Takes ownership of `pd`.
    init(pd: OpaquePointer, _ what: String) throws {
        var p: OpaquePointer?
        let s = dnnl_primitive_create(&p, pd)
        guard s == dnnl_success, let p else {
            dnnl_primitive_desc_destroy(pd)
            throw EngineError("oneDNN \(what) primitive creation failed (status \(s.rawValue))")
        }
        self.pd = pd
        self.prim = p
    }

    deinit {
        dnnl_primitive_destroy(prim)
        dnnl_primitive_desc_destroy(pd)
    }

    /// Scratchpads not in use, reused across calls (one per concurrent call).
    private var spare: [DMem] = []
    private let spareLock = NSLock()
    private lazy var scratchMD: MD? = {
        var smd = md(dnnl_query_scratchpad_md)
        return smd.ndims > 0 && dnnl_memory_desc_get_size(&smd) > 0 ? smd : nil
    }()

    private func takeScratchpad() throws -> DMem? {
        spareLock.lock()
        guard let smd = scratchMD else { spareLock.unlock(); return nil }
        if let m = spare.popLast() { spareLock.unlock(); return m }
        spareLock.unlock()
        return try DMem(smd)
    }

    private func giveBack(_ m: DMem) {
        spareLock.lock()
        if spare.count < 4 { spare.append(m) }
        spareLock.unlock()
    }

    func md(_ q: dnnl_query_t, _ index: Int32 = 0) -> MD {
        dnnl_primitive_desc_query_md(pd, q, index)?.pointee ?? MD()
    }

    /// Runs the primitive with a scratchpad of its own, so one primitive may
    /// run on several threads at once (the library-managed scratchpad of
    /// oneDNN 2.x is shared and not safe for that).
    func execute(_ stream: Stream, _ args: [(Int32, DMem)], _ what: String) throws {
        var a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.mem) }
        let scratch = try takeScratchpad()
        if let scratch { a.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratch.mem)) }
        defer { if let scratch { giveBack(scratch) } }
        try check(dnnl_primitive_execute(prim, stream.s, Int32(a.count), a), what)
        try stream.wait()
    }
}

/// Primitive attributes with an optional eltwise post-op.
final class Attr {
    let attr: OpaquePointer
    /// - Parameters:
    ///   - postSum: first add the destination's previous contents (scale 1).
    ///   - postEltwise: then apply this activation.
    init(postSum: Bool = false, postEltwise: (dnnl_alg_kind_t, Float, Float)?) throws {
        var a: OpaquePointer?
        try check(dnnl_primitive_attr_create(&a), "attribute creation")
        attr = a!
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if postSum || postEltwise != nil {
            var po: OpaquePointer?
            try check(dnnl_post_ops_create(&po), "post-ops creation")
            defer { dnnl_post_ops_destroy(po) }
            if postSum { try check(dnnl_post_ops_append_sum(po, 1), "sum post-op") }
            if let (alg, alpha, beta) = postEltwise {
                try check(dnnl_post_ops_append_eltwise(po, 1, alg, alpha, beta), "eltwise post-op")
            }
            try check(dnnl_primitive_attr_set_post_ops(attr, po), "setting post-ops")
        }
    }
    deinit { dnnl_primitive_attr_destroy(attr) }
}

// MARK: conversions

/// `m` in layout `md` (a reorder when the layouts differ, else `m` itself).
func convert(_ m: DMem, to md: MD, _ stream: Stream) throws -> DMem {
    if mdEqual(m.md, md) { return m }
    guard dimsOf(m.md) == dimsOf(md) else {
        throw EngineError("cannot reorder a tensor of shape \(m.dims) to \(dimsOf(md))")
    }
    let out = try DMem(md)
    var src = m.md, dst = md
    var pd: OpaquePointer?
    let eng = try DNNLContext.shared.cpu()
    let attr = try Attr(postEltwise: nil)
    try check(dnnl_reorder_primitive_desc_create(&pd, &src, eng, &dst, eng, attr.attr), "reorder descriptor")
    guard let pd else { throw EngineError("oneDNN returned no reorder descriptor") }
    let r = try Prim(pd: pd, "reorder")
    try r.execute(stream, [(DNNL_ARG_FROM, m), (DNNL_ARG_TO, out)], "reorder")
    return out
}

/// `m` as a plain row-major tensor.
func toTensor(_ m: DMem, _ stream: Stream) throws -> Tensor {
    try convert(m, to: plainMD(m.dims), stream).tensorCopy()
}

/// a + b element-wise (b reordered to a's layout), in a new memory.
func addMem(_ a: DMem, _ b: DMem, _ stream: Stream) throws -> DMem {
    let bb = try convert(b, to: a.md, stream)
    let out = try DMem(a.md)
    let n = a.floatCount, x = a.floats, y = bb.floats, z = out.floats
    for i in 0..<n { z[i] = x[i] + y[i] }
    return out
}

/// A pointer to `md`, or nil when `use` is false (optional descriptors such as bias).
func withOptionalMD<R>(_ md: MD, _ use: Bool, _ body: (UnsafePointer<MD>?) throws -> R) rethrows -> R {
    var m = md
    if !use { return try body(nil) }
    return try withUnsafePointer(to: &m) { try body($0) }
}
