// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target gets, applied in one loop so a new target cannot forget them.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "mote",
    products: [
        .executable(name: "moted", targets: ["moted"]),
        .executable(name: "motectl", targets: ["motectl"]),
        .library(name: "MoteClient", targets: ["MoteClient"]),
        .library(name: "MoteML", targets: ["MoteML"]),
        .library(name: "MoteImport", targets: ["MoteImport"]),
        .library(name: "MoteModels", targets: ["MoteModels"]),
        .library(name: "MoteMonitoring", targets: ["MoteMonitoring"]),
        // The parsers' fuzz targets, for the libFuzzer build in fuzz/ and the corpus replay test.
        .library(name: "MoteFuzzTargets", targets: ["MoteFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),

        // Libraries, in dependency order (see docs/architecture.md).
        .target(name: "MoteCore"),
        .target(name: "MoteStorage", dependencies: [
            "MoteCore", "CSQLite",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteSystemd", dependencies: [
            "MoteCore", "CSystemd",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteServer", dependencies: [
            "MoteCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "MoteFeatures", dependencies: ["MoteCore", "MoteStorage", "MoteModels"]),
        .target(name: "MoteRegistry", dependencies: ["MoteCore", "MoteStorage"]),
        .target(name: "MoteML"),
        .target(name: "MoteImport", dependencies: ["MoteCore", "MoteML"]),
        .target(name: "MoteModels", dependencies: ["MoteCore", "MoteML", "MoteImport"]),
        .target(name: "MoteInference", dependencies: [
            "MoteCore", "MoteRegistry", "MoteModels", "MoteFeatures", "MoteML", "MoteStorage", "CMalloc",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteConsole", dependencies: ["MoteCore"]),
        .target(name: "MoteScoring", dependencies: [
            "MoteCore", "MoteFeatures", "MoteInference", "MoteModels", "MoteRegistry", "MoteTraining",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteMonitoring", dependencies: [
            "MoteCore", "MoteStorage", "MoteFeatures", "MoteML", "MoteModels", "MoteInference",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteSync", dependencies: [
            "MoteCore", "MoteStorage", "MoteRegistry",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteTraining", dependencies: [
            "MoteCore", "MoteStorage", "MoteFeatures", "MoteRegistry", "MoteML", "MoteModels",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteFleet", dependencies: [
            "MoteCore", "MoteStorage", "MoteRegistry", "MoteSync", "MoteTraining", "MoteImport", "MoteFeatures",
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteRollout", dependencies: [
            "MoteCore", "MoteStorage", "MoteRegistry", "MoteML", "MoteModels", "MoteInference", "MoteMonitoring",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MoteClient", dependencies: ["MoteCore"]),
        .target(name: "MoteFuzzTargets", dependencies: [
            "MoteCore", "MoteServer", "MoteImport", "MoteModels", "MoteML", "MoteInference",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "MoteDaemon", dependencies: [
            "MoteCore", "MoteStorage", "MoteSystemd", "MoteServer", "MoteFeatures", "MoteRegistry", "MoteModels", "MoteTraining", "MoteInference",
            "MoteMonitoring", "MoteSync", "MoteFleet", "MoteRollout", "MoteScoring", "MoteConsole",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),

        // Executables: thin.
        .executableTarget(name: "moted", dependencies: [
            "MoteCore", "MoteDaemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "motectl", dependencies: [
            "MoteCore", "MoteClient", "MoteML",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The Swift example of docs/clients.md (built and run by the client tests).
        .executableTarget(name: "mote-client-example", dependencies: ["MoteClient", "MoteCore"]),

        // Tests.
        .testTarget(name: "MoteCoreTests", dependencies: ["MoteCore"]),
        .testTarget(name: "MoteStorageTests", dependencies: ["MoteCore", "MoteStorage", "CSQLite"]),
        .testTarget(name: "MoteSystemdTests", dependencies: [
            "MoteCore", "MoteSystemd",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "MoteServerTests", dependencies: [
            "MoteCore", "MoteServer", "MoteClient",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "MoteIntegrationTests", dependencies: ["MoteCore", "MoteClient", "OracleModels"]),
        .testTarget(name: "MoteFeaturesTests", dependencies: ["MoteCore", "MoteStorage", "MoteFeatures"]),
        .testTarget(name: "MoteRegistryTests", dependencies: ["MoteCore", "MoteStorage", "MoteRegistry"]),
        .testTarget(name: "MoteMLTests", dependencies: ["MoteML"]),
        .testTarget(name: "MoteFuzzTargetsTests", dependencies: ["MoteFuzzTargets"]),
        // Models made by the real Python libraries, with their predictions (shared by two test targets).
        .target(name: "OracleModels", dependencies: ["MoteCore"], path: "Tests/OracleModels"),
        .testTarget(name: "MoteImportTests", dependencies: ["MoteCore", "MoteML", "MoteImport", "OracleModels"]),
        .testTarget(name: "MoteTrainingTests", dependencies: ["MoteCore", "MoteStorage", "MoteFeatures", "MoteML", "MoteModels", "MoteTraining"]),
        .testTarget(name: "MoteModelsTests", dependencies: ["MoteCore", "MoteML", "MoteModels"]),
        .testTarget(name: "MoteFleetTests", dependencies: ["MoteCore", "MoteFleet", "MoteImport"]),
        .testTarget(name: "MoteInferenceTests", dependencies: ["MoteCore", "MoteML", "MoteModels", "MoteInference"]),
        .testTarget(name: "MoteMonitoringTests", dependencies: ["MoteCore", "MoteML", "MoteModels", "MoteInference", "MoteMonitoring"]),
        .testTarget(name: "MoteDaemonTests", dependencies: [
            "MoteCore", "MoteDaemon", "MoteServer", "MoteStorage", "MoteSync", "MoteMonitoring", "MoteFeatures", "MoteRegistry", "MoteTraining",
            "MoteInference", "MoteSystemd", "MoteFleet", .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
