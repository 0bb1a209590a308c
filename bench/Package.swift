// swift-tools-version:6.1
// Benchmark tools, kept out of the main package so the product build stays lean.
import PackageDescription

let package = Package(
    name: "mote-bench",
    targets: [
        .executableTarget(
            name: "udsbench",
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .systemLibrary(name: "CSQLiteBench"),
        .executableTarget(name: "sqliteceiling", dependencies: ["CSQLiteBench"]),
    ]
)
