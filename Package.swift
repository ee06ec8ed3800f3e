// swift-tools-version:6.0
import PackageDescription

// The folders are the architecture: image I/O, deterministic numerics, tensor runtime,
// U-Net, (diffusion math, entropy coding, codec), CLI. Each is its own module so a
// change in one cannot silently reach into another.
// Release builds: the numeric kernels (Numerics, Tensor: trusted data, the inner loops of the network) drop
// overflow and bounds checks; every module that parses untrusted bytes (files, configs, streams) keeps them, so a
// crafted input stops with an error instead of silently wrapping. docs/BENCHMARKS.md has the measured cost.
let optimize: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]
let optimizeUnchecked: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "DDPMCodec",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ddpmc", targets: ["ddpmc"]),
        .library(name: "DDPMCodec", targets: ["Numerics", "ImageIO", "Tensor", "UNet", "Diffusion", "EntropyCoding", "Codec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config; `Tools/install-deps.sh` installs them.
        .systemLibrary(name: "COpenBLAS", path: "Sources/CSystem/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CSystem/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CSystem/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CSystem/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CSystem/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),

        // Deterministic scalar math (exp, log, erf, sin, cos, Gaussian CDF) and PRNG:
        // everything that reaches a probability is computed here with IEEE basic ops only.
        .target(name: "Numerics", path: "Sources/Numerics", swiftSettings: optimizeUnchecked),
        // PNG (libpng) and data sets (idx/idx.gz, .npy, folders of PNGs).
        .target(name: "ImageIO", dependencies: ["CPNG", "CZlib"], path: "Sources/ImageIO", swiftSettings: optimize),
        // Tensors and the exact (integer-operand dgemm) kernels: conv, linear, attention, GroupNorm.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "Numerics"], path: "Sources/Tensor", swiftSettings: optimizeUnchecked),
        // safetensors reader, diffusers config, and the UNet2DModel forward pass.
        .target(name: "UNet", dependencies: ["Tensor", "Numerics"], path: "Sources/UNet", swiftSettings: optimize),
        // Noise schedules, respacing, the reverse process and the variational bound (the codelength).
        .target(name: "Diffusion", dependencies: ["Numerics", "Tensor", "UNet"], path: "Sources/Diffusion",
                swiftSettings: optimize),
        // rANS stack and the symbol codecs of the lossless coder (bits-back over the diffusion chain).
        .target(name: "EntropyCoding", dependencies: ["Numerics"], path: "Sources/EntropyCoding", swiftSettings: optimize),
        // The .ddpm container and the codecs that fill it.
        .target(name: "Codec", dependencies: ["Numerics", "ImageIO", "Tensor", "UNet", "Diffusion", "EntropyCoding", "CZstd",
                                              "CZlib", "CCrypto"],
                path: "Sources/Codec", swiftSettings: optimize),
        // The fuzz harness of the untrusted-input parsers (Tools/fuzz; Tools/README.md).
        .executableTarget(name: "ddpmc-fuzz", dependencies: ["Codec", "Diffusion", "ImageIO", "UNet", "TestSupport"], path: "Tools/fuzz",
                          swiftSettings: optimize),
        .executableTarget(name: "ddpmc",
                          dependencies: ["Numerics", "ImageIO", "Tensor", "UNet", "Diffusion", "Codec",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/ddpmc", swiftSettings: optimize),

        // Generators and fingerprints shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics", "TestSupport"], path: "Tests/NumericsTests"),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "TestSupport"], path: "Tests/ImageIOTests"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Numerics"], path: "Tests/TensorTests"),
        .testTarget(name: "UNetTests", dependencies: ["UNet", "Tensor", "Numerics"], path: "Tests/UNetTests"),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "UNet", "Tensor", "Numerics", "ImageIO"],
                    path: "Tests/DiffusionTests"),
        .testTarget(name: "EntropyCodingTests", dependencies: ["EntropyCoding", "Numerics", "TestSupport"],
                    path: "Tests/EntropyCodingTests"),
        .testTarget(name: "CodecTests", dependencies: ["Codec", "ImageIO"], path: "Tests/CodecTests"),
        // End-to-end tests that run the `ddpmc` executable in subprocesses.
        .testTarget(name: "CLITests", dependencies: ["ddpmc", "ddpmc-fuzz", "ImageIO"], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v5]
)
