// swift-tools-version:6.0
import PackageDescription

// The libFuzzer driver for igcam's fuzz targets (docs/RELIABILITY.md). A package of its own so
// the main package's normal builds never link libFuzzer. Build it only with sanitizers:
//   swift build -c release --sanitize fuzzer --sanitize address --package-path Fuzz \
//       -Xswiftc -sanitize=fuzzer,address
// (what `make fuzz` does; the -Xswiftc flag is needed because swiftc keeps only the last of
// SwiftPM's two -sanitize= flags, see Fuzz/run.sh); FUZZ_TARGET=<name> picks the target at run time.
let package = Package(
    name: "igcam-fuzz",
    dependencies: [.package(name: "igcam", path: "..")],
    targets: [
        .executableTarget(
            name: "igcam-fuzz",
            dependencies: [.product(name: "IGFuzzTargets", package: "igcam")],
            // No main of our own: libFuzzer's runtime provides it.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)
