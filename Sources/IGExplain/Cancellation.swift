import Foundation

/// Set from any thread to stop a running explanation at the next micro-batch.
/// Sendable by hand (`@unchecked`): its one `var` is read and written only under `lock`.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

/// Thrown when a token was cancelled.
public struct Cancelled: Error, CustomStringConvertible {
    public var description: String { "cancelled" }
}

/// A partial result of a long method: the map so far (estimated for the whole
/// sum) and how far it has got.
public struct Progress: Sendable {
    public var map: [Float]
    public var height: Int
    public var width: Int
    public var done: Int
    public var total: Int
    public var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }
}

public typealias ProgressHandler = @Sendable (Progress) -> Void
