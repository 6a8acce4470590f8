#if canImport(Glibc)
@preconcurrency import Glibc
#else
@preconcurrency import Darwin
#endif

/// Makes stdout line-buffered (when piped too), so progress and results
/// interleave sanely. `stdout` is a mutable C global whose safety Swift 6
/// cannot check; it is named only in this file (hence the `@preconcurrency`
/// import here and nowhere else), and this runs once, from `IGCLI.run`,
/// before any other thread exists.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
