import Foundation
import MoteFuzzTargets
import Testing

/// Every input of the committed seed corpus (`fuzz/corpus/<target>/`) and every past finding
/// (`fuzz/regressions/<target>/`) through its fuzz target: a finding that comes back stops
/// this test the way it stopped the fuzzer.
@Suite("fuzz corpus replay")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz").path

    static func files(_ kind: String, _ target: FuzzTarget) -> [String] {
        let directory = root + "/\(kind)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }

    @Test("each target has a seed corpus, and seeds and past findings run clean", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let seeds = Self.files("corpus", target)
        #expect(seeds.count >= 3, "fuzz/corpus/\(target.rawValue) needs seeds")
        for file in seeds + Self.files("regressions", target) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            target.run(bytes)
        }
    }

    @Test("the HTTP target reads the seed requests as requests (a target that reads nothing finds nothing)")
    func httpSeedsAreRequests() throws {
        var read = 0
        for file in Self.files("corpus", .http) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            read += FuzzTarget.requestsRead(bytes)
        }
        #expect(read >= 5)
    }

    @Test("every seed of the infer target reads as a request (binary and JSON tensors reach the scorer)")
    func inferSeedsAreRequests() throws {
        for file in Self.files("corpus", .infer) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(FuzzTarget.inferRequestReads(bytes), "\(file)")
        }
    }
}
