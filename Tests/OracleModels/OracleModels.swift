import Foundation
import MoteCore

/// Models made by the real Python libraries (`tools/oracle/make_models.py`, run once per test
/// process in the oracle venv that `make test-deps` caches), with the libraries' own
/// predictions on held-out rows.
public enum OracleModels {
    public struct Entry: Sendable {
        public let name: String
        public let file: String
        public let format: String
        public let task: String
        public let classes: [String]
        public let rows: [[Double]]
        /// Per row: the prediction (regression) or the class probabilities.
        public let expected: [[Double]]
        /// The library's own TreeSHAP per row and output: one contribution per input, then the
        /// base value (LightGBM `pred_contrib`, XGBoost `pred_contribs`); empty when not made.
        public let contributions: [[[Double]]]
        /// `shap.TreeExplainer`'s values on the same model, in the same layout; empty when not made.
        public let shapValues: [[[Double]]]
    }

    public static let directory: Result<String, OracleError> = make()

    public struct OracleError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The oracle venv's python: `$MOTE_ORACLE_PYTHON`, else the Makefile's cached venv.
    public static var python: String {
        if let p = ProcessInfo.processInfo.environment["MOTE_ORACLE_PYTHON"] { return p }
        let cache = "/var/cache/mote-ci"
        let venvs = ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).filter { $0.hasPrefix("oracle-venv-") }.sorted()
        return venvs.last.map { "\(cache)/\($0)/bin/python" } ?? "python3"
    }

    public static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    private static func make() -> Result<String, OracleError> {
        let out = NSTemporaryDirectory() + "mote-oracle-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repository + "/tools/oracle/make_models.py", out]
        // stderr to a file, not a pipe: a daemon another test starts meanwhile would inherit
        // the pipe's write end and the read would never see its end.
        let log = out + ".log"
        guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else { return .failure(OracleError(description: "cannot write \(log)")) }
        process.standardError = handle
        process.standardOutput = handle
        do { try process.run() } catch { return .failure(OracleError(description: "cannot run \(python): \(error) (run `make test-deps`)")) }
        process.waitUntilExit()
        try? handle.close()
        guard process.terminationStatus == 0 else {
            let err = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return .failure(OracleError(description: "make_models.py failed: \(err.suffix(2000))"))
        }
        return .success(out)
    }

    /// One model of the manifest by name.
    public static func entry(_ name: String) throws -> Entry {
        guard let e = try entries().first(where: { $0.name == name }) else { throw OracleError(description: "no oracle model \(name)") }
        return e
    }

    /// The binary labels of the held-out rows (`rows.json`).
    public static func binaryLabels() throws -> [Int] {
        let parsed = try JSONParser.parse(try bytes(try directory.get() + "/labels_binary.json"))
        return (parsed.arrayValue ?? []).map { Int($0.int64Value ?? -1) }
    }

    /// A manifest's `[row][output][value]` array.
    static func perRowAndOutput(_ value: JSONValue?) -> [[[Double]]] {
        (value?.arrayValue ?? []).map { row in (row.arrayValue ?? []).map { output in (output.arrayValue ?? []).map { $0.doubleValue ?? .nan } } }
    }

    public static func entries() throws -> [Entry] {
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
                rows: try rows(e["rows"]?.stringValue ?? ""), expected: expected,
                contributions: Self.perRowAndOutput(e["contributions"]), shapValues: Self.perRowAndOutput(e["shap"]))
        }
    }

    public static func bytes(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw OracleError(description: "cannot read \(path)") }
        return [UInt8](d)
    }
}
