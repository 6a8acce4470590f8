// swift-tools-version:6.0
import PackageDescription

// igcam: Integrated Grad-CAM and its peers for ONNX image classifiers, with a
// terminal viewer. One library of small modules, one thin executable.
//
// System libraries sit behind thin C-shim targets (Sources/C*), each used
// from exactly one Swift module:
//   CDNNL   -> IGFast     (oneDNN 2.x, the fast backend)
//   CPNG    -> IGImaging  (libpng simplified API)
//   CJPEG   -> IGImaging  (libjpeg-turbo)
//   CNcurses-> IGViewer   (ncursesw; plus the viewer's signal handlers in C)

// Every module keeps Swift's bounds and overflow checks (an out-of-range index on a malformed
// file traps instead of reading memory it should not). -wmo lets the optimiser see each module
// whole. Measured cost of the checks: docs/PERFORMANCE.md ("Checked builds").
let wholeModule: [SwiftSetting] = [
    .unsafeFlags(["-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "igcam",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "igcam", targets: ["igcam"]),
        .library(name: "IGCam", targets: ["IGEngine", "IGONNX", "IGImaging", "IGModel", "IGExplain", "IGEval", "IGRender", "IGViewer", "IGCLI"]),
        // The fuzz targets' entry points, for the libFuzzer driver in Fuzz/ (docs/RELIABILITY.md).
        .library(name: "IGFuzzTargets", targets: ["IGFuzzTargets"]),
    ],
    dependencies: [
        // Pinned exactly (reproducible builds); Package.resolved stays untracked because the pinned
        // revision it records is that of whichever mirror resolved it (docs/ARCHITECTURE.md).
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // C shims over system libraries.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16"),
        .target(name: "CJPEG", path: "Sources/CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        // (A C target, not only a system library: its signals.c holds the async-signal-safe handlers.)
        .target(name: "CNcurses", path: "Sources/CNcurses", publicHeadersPath: "."),

        // Tensors, graph IR, reference ops (forward + backward), executor.
        .target(name: "IGEngine", swiftSettings: wholeModule),
        // The fast backend on oneDNN, held to the reference by tests.
        .target(name: "IGFast", dependencies: ["IGEngine", "CDNNL"], swiftSettings: wholeModule),
        // ONNX protobuf reader and lowering into the engine's graph.
        .target(name: "IGONNX", dependencies: ["IGEngine"], swiftSettings: wholeModule),
        // PNG/JPEG, resize, normalisation, colour maps, .npy, atomic writes.
        .target(name: "IGImaging", dependencies: ["CPNG", "CJPEG"], swiftSettings: wholeModule),
        // A model = ONNX graph + JSON sidecar + backend; classification.
        // (The caller builds the engine: IGCLI picks the fast or the reference backend.)
        .target(name: "IGModel", dependencies: ["IGEngine", "IGONNX", "IGImaging"], swiftSettings: wholeModule),
        // Explanation methods: Integrated Grad-CAM and peers.
        .target(name: "IGExplain", dependencies: ["IGEngine", "IGModel", "IGImaging"], swiftSettings: wholeModule),
        // Metrics and PASCAL-VOC datasets.
        .target(name: "IGEval", dependencies: ["IGExplain", "IGModel", "IGImaging"], swiftSettings: wholeModule),
        // Pure terminal rendering: pixels in, cells out.
        .target(name: "IGRender", dependencies: ["IGImaging"], swiftSettings: wholeModule),
        // The interactive ncurses viewer.
        .target(name: "IGViewer", dependencies: ["IGRender", "IGExplain", "IGModel", "IGImaging", "CNcurses"]),
        // Command line (swift-argument-parser).
        .target(name: "IGCLI", dependencies: [
            "IGEngine", "IGFast", "IGONNX", "IGModel", "IGExplain", "IGEval", "IGImaging", "IGRender", "IGViewer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "igcam", dependencies: ["IGCLI"]),
        // One function per input format, each safe on any bytes: run by Fuzz/ under
        // -sanitize=fuzzer,address and replayed on the regression files by IGFuzzTests.
        .target(name: "IGFuzzTargets", dependencies: ["IGCLI", "IGEngine", "IGEval", "IGExplain", "IGImaging",
                                                      "IGModel", "IGONNX", "IGRender", "IGViewer"]),

        // Deterministic tensors and a tiny network shared by the engine tests.
        .target(name: "IGTestSupport", dependencies: ["IGEngine"], path: "Tests/IGTestSupport"),
        .testTarget(name: "IGEngineTests", dependencies: ["IGEngine", "IGTestSupport"]),
        .testTarget(name: "IGFastTests", dependencies: ["IGFast", "IGEngine", "IGTestSupport"]),
        .testTarget(name: "IGONNXTests", dependencies: ["IGONNX", "IGEngine", "IGTestSupport"]),
        .testTarget(name: "IGImagingTests", dependencies: ["IGImaging", "IGTestSupport"]),
        .testTarget(name: "IGModelTests", dependencies: ["IGModel", "IGEngine", "IGFast", "IGImaging"]),
        .testTarget(name: "IGExplainTests", dependencies: ["IGExplain", "IGModel", "IGEngine", "IGFast"]),
        .testTarget(name: "IGEvalTests", dependencies: ["IGEval", "IGImaging"]),
        .testTarget(name: "IGRenderTests", dependencies: ["IGRender", "IGImaging"]),
        .testTarget(name: "IGViewerTests", dependencies: ["IGViewer", "IGRender", "IGEngine"]),
        .testTarget(name: "IGCLITests", dependencies: ["IGCLI"]),
        .testTarget(name: "IGFuzzTests", dependencies: ["IGFuzzTargets", "IGViewer", "IGEngine"]),
    ],
    // Every target, tests included, in the Swift 6 language mode (complete strict concurrency
    // checking); `@unchecked Sendable` appears only with a comment saying why it is safe.
    swiftLanguageModes: [.v6]
)
