// swift-tools-version:6.1
// Benchmark tools, kept out of the main package so the product build stays lean.
import PackageDescription

let package = Package(
    name: "mote-bench",
    dependencies: [.package(name: "mote", path: "..")],
    targets: [
        .executableTarget(
            name: "gbdtbench", dependencies: [.product(name: "MoteML", package: "mote")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "udsbench",
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .executableTarget(
            name: "monitorbench",
            dependencies: [.product(name: "MoteMonitoring", package: "mote")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "importbench",
            dependencies: [
                .product(name: "MoteImport", package: "mote"), .product(name: "MoteModels", package: "mote"),
                .product(name: "MoteML", package: "mote"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .systemLibrary(name: "CSQLiteBench"),
        .executableTarget(name: "sqliteceiling", dependencies: ["CSQLiteBench"]),
    ]
)
