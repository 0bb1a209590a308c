// swift-tools-version:6.1
// The libFuzzer build of mote's parsers, kept out of the main package (it is compiled with
// -sanitize=fuzzer,address). Build and run with fuzz/run.sh (or `make fuzz`).
import PackageDescription

let package = Package(
    name: "mote-fuzz",
    dependencies: [.package(name: "mote", path: "..")],
    targets: [
        .executableTarget(
            name: "motefuzz", dependencies: [.product(name: "MoteFuzzTargets", package: "mote")],
            swiftSettings: [.swiftLanguageMode(.v6)])
    ]
)
