import Foundation
import IGExplain
import IGImaging
import IGModel

/// Runs the engine on one background thread. The UI thread hands it the
/// latest `WorkRequest` (older ones are dropped, so a flood of keys never
/// queues work) and polls `drain()` for events. A request that no longer
/// wants the running job cancels it.
///
/// A `Thread`, not a Swift concurrency task, on purpose: one explanation is a
/// synchronous call that keeps a core busy for up to seconds inside oneDNN
/// and OpenMP (it cannot await, and would pin one of the cooperative pool's
/// few threads), the reference engine's deep graphs want the 16 MiB stack a
/// `Thread` can be given, and the UI loop it serves is a blocking ncurses
/// loop that polls the mailbox every 30 ms rather than awaiting.
/// Cancellation is the `CancellationToken` checked between micro-batches.
///
/// Sendable by hand (`@unchecked`): every `var` is read and written under
/// `cond` (the worker's own `explainer` reference is read under it too),
/// except `thread`, set once by `start` on the UI thread; `model` and `topK`
/// are lets.
public final class JobRunner: @unchecked Sendable {
    public let model: Model
    public let topK: Int
    private let cond = NSCondition()
    private var pending: WorkRequest?
    private var running: (key: JobKey, token: CancellationToken)?
    private var outbox: [JobEvent] = []
    private var stopped = false
    private var loadedPath: String?
    private var explainer: Explainer?
    private var failedPaths = Set<String>()
    private var completed = Set<JobKey>()
    private var scored = Set<ScoreKey>()
    private var thread: Thread?
    private var startedCount = 0
    /// How many explain calls were started (for tests of coalescing).
    public var started: Int { cond.lock(); defer { cond.unlock() }; return startedCount }

    public init(model: Model, topK: Int = 5) {
        self.model = model
        self.topK = topK
    }

    /// Starts the worker thread.
    public func start() {
        let t = Thread { [self] in self.loop() }
        t.name = "igcam-jobs"
        t.stackSize = 16 << 20
        thread = t
        t.start()
    }

    /// Replaces the work; cancels the running job unless the new request still wants it.
    public func request(_ w: WorkRequest) {
        cond.lock()
        pending = w
        if let r = running, !w.keys.contains(r.key) { r.token.cancel() }
        cond.signal()
        cond.unlock()
    }

    /// Events since the last call, oldest first.
    public func drain() -> [JobEvent] {
        cond.lock(); defer { cond.unlock() }
        let e = outbox
        outbox.removeAll()
        return e
    }

    /// Stops after the running job (which is cancelled).
    public func stop() {
        cond.lock()
        stopped = true
        running?.token.cancel()
        cond.signal()
        cond.unlock()
    }

    /// True when nothing is running and nothing is left to do.
    public var isIdle: Bool {
        cond.lock(); defer { cond.unlock() }
        return running == nil && nextTask() == nil
    }

    private enum Task { case load(String), explain(JobKey) }

    /// Under the lock.
    private func nextTask() -> Task? {
        guard let w = pending else { return nil }
        if loadedPath != w.image { return failedPaths.contains(w.image) ? nil : .load(w.image) }
        guard let k = w.keys.first(where: { !completed.contains($0) }) else { return nil }
        return .explain(k)
    }

    private func post(_ e: JobEvent) {
        cond.lock()
        // Coalesce: a newer partial map of the same job replaces the older one.
        if case .progress(let k, _) = e, let last = outbox.last, case .progress(let k2, _) = last, k == k2 {
            outbox[outbox.count - 1] = e
        } else {
            outbox.append(e)
        }
        cond.unlock()
    }

    private func loop() {
        while true {
            cond.lock()
            var task = nextTask()
            while !stopped && task == nil { cond.wait(); task = nextTask() }
            if stopped { cond.unlock(); return }
            let token = CancellationToken()
            if case .explain(let k)? = task { running = (k, token); startedCount += 1 }
            let ex = explainer
            cond.unlock()
            switch task! {
            case .load(let path): load(path)
            case .explain(let key): explain(key, ex, token)
            }
            cond.lock()
            running = nil
            cond.unlock()
        }
    }

    private func load(_ path: String) {
        do {
            let image = try loadImage(path: path)
            guard image.width > 0, image.height > 0 else { throw ModelError("\(path): empty image") }
            let e = Explainer(model: model, image: image)
            let top = try e.top(topK)
            cond.lock()
            loadedPath = path; explainer = e
            cond.unlock()
            post(.imageLoaded(path: path, image: image, top: top))
        } catch {
            cond.lock()
            failedPaths.insert(path)
            cond.unlock()
            post(.imageFailed(path: path, message: "\(error)"))
        }
    }

    private func explain(_ key: JobKey, _ ex: Explainer?, _ token: CancellationToken) {
        guard let ex else { return }
        do {
            let r = try ex.explain(key.method, layer: key.layer, classIndex: key.classIndex, options: key.options,
                                   progress: { [weak self] p in
                                       self?.post(.progress(key, MapResult(map: p.map, width: p.width, height: p.height,
                                                                           done: p.done, total: p.total, seconds: nil)))
                                   }, cancel: token)
            cond.lock(); completed.insert(key); cond.unlock()
            post(.finished(key, MapResult(map: r.map, width: r.width, height: r.height, done: 1, total: 1, seconds: r.seconds)))
            if key.method.takes.contains(.baseline) {
                // y(x) and y(x') once per image, class and baseline: one forward of the baseline.
                let sk = ScoreKey(image: key.image, classIndex: key.classIndex, baseline: key.baseline)
                cond.lock(); let fresh = scored.insert(sk).inserted; cond.unlock()
                if fresh, let sc = try? ex.pathScores(classIndex: key.classIndex, baseline: key.baseline) {
                    post(.scores(sk, PathScores(image: sc.image, baseline: sc.baseline)))
                }
            }
        } catch is Cancelled {
            // A newer request made this one obsolete; it will be redone if asked again.
        } catch {
            cond.lock(); completed.insert(key); cond.unlock()
            post(.failed(key, "\(error)"))
        }
    }
}
