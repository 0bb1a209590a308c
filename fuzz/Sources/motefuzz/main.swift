// libFuzzer entry points (the file is compiled with -parse-as-library: libFuzzer has `main`).
// The target is named by MOTE_FUZZ_TARGET (http, json, toml, csv, rfc3339, lightgbm,
// xgboost, onnx, bundle); see fuzz/run.sh.
import MoteFuzzTargets

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let name = getenv("MOTE_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        print("motefuzz: set MOTE_FUZZ_TARGET to one of \(names)")
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    selected?.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer's driver, started from the executable's entry point (SwiftPM names the
/// program's `main` `motefuzz_main`, so libFuzzer's own `main` is not used).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt

@_cdecl("motefuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return withUnsafeMutablePointer(to: &count) { countPointer in
        withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
            runDriver(countPointer, argumentsPointer) { start, size in testOneInput(start, size) }
        }
    }
}
