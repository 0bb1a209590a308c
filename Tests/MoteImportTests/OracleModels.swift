import Foundation
import MoteCore

/// Models made by the real Python libraries (`tools/oracle/make_models.py`, run once per test
/// process in the oracle venv that `make test-deps` caches), with the libraries' own
/// predictions on held-out rows.
enum OracleModels {
    struct Entry {
        let name: String
        let file: String
        let format: String
        let task: String
        let classes: [String]
        let rows: [[Double]]
        /// Per row: the prediction (regression) or the class probabilities.
        let expected: [[Double]]
    }

    static let directory: Result<String, OracleError> = make()

    struct OracleError: Error, CustomStringConvertible {
        let description: String
    }

    /// The oracle venv's python: `$MOTE_ORACLE_PYTHON`, else the Makefile's cached venv.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["MOTE_ORACLE_PYTHON"] { return p }
        let cache = "/var/cache/mote-ci"
        let venvs = ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).filter { $0.hasPrefix("oracle-venv-") }.sorted()
        return venvs.last.map { "\(cache)/\($0)/bin/python" } ?? "python3"
    }

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    private static func make() -> Result<String, OracleError> {
        let out = NSTemporaryDirectory() + "mote-oracle-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repository + "/tools/oracle/make_models.py", out]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(OracleError(description: "cannot run \(python): \(error) (run `make test-deps`)")) }
        let err = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(OracleError(description: "make_models.py failed: \(String(decoding: err, as: UTF8.self).suffix(2000))"))
        }
        return .success(out)
    }

    static func entries() throws -> [Entry] {
        let dir = try directory.get()
        let manifest = try JSONParser.parse(try bytes(dir + "/manifest.json"))
        var rowsCache: [String: [[Double]]] = [:]
        func rows(_ file: String) throws -> [[Double]] {
            if let r = rowsCache[file] { return r }
            let parsed = try JSONParser.parse(try bytes(dir + "/" + file))
            let r = (parsed.arrayValue ?? []).map { ($0.arrayValue ?? []).map { $0.doubleValue ?? .nan } }
            rowsCache[file] = r
            return r
        }
        return try (manifest.arrayValue ?? []).map { e in
            let expected: [[Double]]
            if let p = e["predictions"]?.arrayValue {
                expected = p.map { [$0.doubleValue ?? .nan] }
            } else {
                expected = (e["probabilities"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).map { $0.doubleValue ?? .nan } }
            }
            return Entry(
                name: e["name"]?.stringValue ?? "", file: dir + "/" + (e["file"]?.stringValue ?? ""), format: e["format"]?.stringValue ?? "",
                task: e["task"]?.stringValue ?? "", classes: (e["classes"]?.arrayValue ?? []).compactMap(\.stringValue),
                rows: try rows(e["rows"]?.stringValue ?? ""), expected: expected)
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw OracleError(description: "cannot read \(path)") }
        return [UInt8](d)
    }
}
