// swift-tools-version: 6.0
import PackageDescription

// Module map: each target has one job.
//   DNBSupport   – what every module shares: atomic file writes, "did you mean", shape text, a Sendable box
//   DNBEngine    – tensors, autograd, kernels on OpenBLAS, Adam, RNG, safetensors (knows nothing of diffusion)
//   COpenBLASCore – OpenBLAS's kernels chosen by CPU features where the library falls back to Prescott
//   DNBDistributed – the ranks mpirun started (Open MPI loaded at run time): collectives with timeouts, failures
//   DNBDiffusion – UNet2DModel and its blocks, DDPM/DDIM/DPM-Solver++/Euler schedulers, training and sampling loops
//   DNBData      – IDX/MNIST/Fashion-MNIST reading, verification, fetching, transforms, loader
//   DNBEvaluation – sample-quality maths on feature vectors: statistics, Fréchet distance (LAPACK), precision/recall, confidence
//   DNBClassifier – dnb's own image classifier (the features `evaluate` compares): model, training, its cache
//   DNBPlot      – figures (cairo) written as PNG with provenance text chunks
//   DNBCache     – a content-addressed store of results shared between processes (blobs, entries, LRU eviction)
//   DNBLanguage  – the dnb command language, interpreter, .dnb cell files, report writer, the cell cache's keys
//   DNBReportHTML – a report's Markdown as one self-contained HTML page (cmark-gfm; figures embedded)
//   DNBTerminalGraphics – figures drawn inline in the terminal (kitty, iTerm2, sixel), detection, the desktop viewer
//   DNBJupyter   – nbformat: .dnb ↔ .ipynb, the executed notebook, dnb outputs as Jupyter outputs
//   DNBKernel    – the Jupyter messaging protocol over ZeroMQ (sockets, signatures, message order, history)
//   DNBCommands  – the commands (dataset, model, train, sample, plot …) bound to the modules above
//   dnb          – the executable: REPL (readline), `run`, `check`, `bench`, `kernel`, `convert`
let package = Package(
    name: "dnb",
    // No `platforms:` minimums: those are Apple deployment targets, and dnb is built and tested on
    // Linux only (Debian 12, x86-64; the C kernels also compile for aarch64, scripts/check-arm64.sh).
    products: [
        .executable(name: "dnb", targets: ["dnb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline",
                       providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo",
                       providers: [.apt(["libcairo2-dev", "libpng-dev"])]),
        .systemLibrary(name: "CCmarkGFM", path: "Sources/CCmarkGFM", pkgConfig: "libcmark-gfm",
                       providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev", "libssl-dev"])]),
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ",
                       providers: [.apt(["libzmq3-dev", "libssl-dev"])]),

        .target(name: "CKernels"),
        .target(name: "CRowKernels"),
        .target(name: "COpenBLASCore", dependencies: ["CBLAS"]),
        .target(name: "DNBSupport", dependencies: ["CZlib"]),
        .target(name: "DNBEngine", dependencies: ["DNBSupport", "CBLAS", "COpenBLASCore", "CKernels", "CRowKernels"]),
        .target(name: "DNBDistributed"),
        .target(name: "DNBDiffusion", dependencies: ["DNBSupport", "DNBEngine", "DNBDistributed"]),
        .target(name: "DNBData", dependencies: ["DNBSupport", "DNBEngine", "CZlib"]),
        .target(name: "DNBEvaluation", dependencies: ["CBLAS"]),
        .target(name: "DNBClassifier", dependencies: ["DNBSupport", "DNBEngine", "DNBDiffusion", "DNBData"]),
        .target(name: "DNBPlot", dependencies: ["DNBSupport", "CCairo"]),
        .target(name: "DNBCache", dependencies: ["DNBSupport"]),
        .target(name: "DNBLanguage", dependencies: ["DNBSupport", "DNBCache"]),
        .target(name: "DNBTerminalGraphics"),
        .target(name: "DNBReportHTML", dependencies: ["DNBSupport", "CCmarkGFM"]),
        .target(name: "DNBJupyter", dependencies: ["DNBSupport", "DNBLanguage"]),
        .target(name: "DNBKernel", dependencies: ["DNBSupport", "DNBJupyter", "CZMQ"]),
        .target(name: "DNBCommands", dependencies: ["DNBSupport", "DNBEngine", "DNBDiffusion", "DNBData", "DNBPlot", "DNBLanguage", "DNBTerminalGraphics", "DNBEvaluation", "DNBClassifier", "DNBDistributed"]),
        .executableTarget(name: "dnb", dependencies: [
            "DNBSupport", "DNBEngine", "DNBDiffusion", "DNBData", "DNBPlot", "DNBLanguage", "DNBCommands", "DNBTerminalGraphics", "DNBJupyter", "DNBKernel", "DNBReportHTML", "DNBDistributed", "CReadline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libFuzzer on the language front end (bench/README.md, "Fuzzing"); does nothing unless built with -sanitize=fuzzer.
        .executableTarget(name: "dnb-fuzz", dependencies: ["DNBLanguage"]),

        // Shared by the test targets: per-test temporary folders, the repository root, real MNIST if present.
        .target(name: "DNBTestSupport", path: "Tests/DNBTestSupport"),
        .testTarget(name: "DNBSupportTests", dependencies: ["DNBSupport", "DNBTestSupport"]),
        .testTarget(name: "DNBEngineTests", dependencies: ["DNBTestSupport", "DNBEngine", "COpenBLASCore"], exclude: ["Fixtures"]),
        .testTarget(name: "DNBDiffusionTests", dependencies: ["DNBTestSupport", "DNBDiffusion", "DNBEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "DNBDataTests", dependencies: ["DNBTestSupport", "DNBSupport", "DNBData", "DNBEngine"], exclude: ["Fixtures"]),
        .testTarget(name: "DNBEvaluationTests", dependencies: ["DNBTestSupport", "DNBEvaluation", "DNBClassifier", "DNBData", "DNBEngine"]),
        .testTarget(name: "DNBPlotTests", dependencies: ["DNBTestSupport", "DNBPlot"]),
        .testTarget(name: "DNBCacheTests", dependencies: ["DNBTestSupport", "DNBSupport", "DNBCache"]),
        .testTarget(name: "DNBLanguageTests", dependencies: ["DNBTestSupport", "DNBSupport", "DNBLanguage"]),
        .testTarget(name: "DNBReportHTMLTests", dependencies: ["DNBTestSupport", "DNBReportHTML", "DNBLanguage", "CCmarkGFM"]),
        .testTarget(name: "DNBTerminalGraphicsTests", dependencies: ["DNBTestSupport", "DNBTerminalGraphics", "DNBPlot"]),
        .testTarget(name: "DNBCommandsTests", dependencies: ["DNBTestSupport", "DNBCommands", "DNBLanguage", "DNBEngine", "DNBDiffusion", "DNBPlot", "DNBJupyter", "DNBEvaluation", "DNBClassifier"]),
    ]
)
