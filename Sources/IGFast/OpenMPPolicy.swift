import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libgomp (the OpenMP runtime `libdnnl.so` is built on) reads its wait
/// policy once, when it is loaded, before any Swift code runs. Its default
/// lets idle workers spin between parallel regions; on this shared 2-core
/// machine the spinning worker takes the core the working thread needs:
/// measured side by side, `OMP_WAIT_POLICY=PASSIVE` made EfficientNet-Lite0
/// forward 3-9x faster with 2 threads and `igcam classify` from a cold start
/// 1.8 s -> 0.7 s wall (0.45 -> 0.07 s user).
public enum OpenMPPolicy {
    /// Whether the process started with `OMP_WAIT_POLICY` set (to anything).
    static var isSet: Bool { getenv("OMP_WAIT_POLICY") != nil }

    /// Call first thing in `main`: when `OMP_WAIT_POLICY` is unset, sets it to
    /// PASSIVE and re-executes the program (`/proc/self/exe`, same arguments)
    /// so libgomp sees it. Returns normally when it is already set (an
    /// explicit choice is respected) or when the re-exec fails.
    public static func reexecWithPassiveWaitPolicyIfUnset() {
        guard !isSet else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
