import Foundation
import MoteCore
import Testing

/// A real MLflow tracking server on 127.0.0.1 with its own SQLite backend, from the venv
/// `make test-deps` builds (`/var/cache/mote-ci/mlflow-venv-v1`, or `$MOTE_MLFLOW`).
final class MLflowServer: @unchecked Sendable {
    static var executable: String {
        ProcessInfo.processInfo.environment["MOTE_MLFLOW"] ?? "/var/cache/mote-ci/mlflow-venv-3.17.2/bin/mlflow"
    }

    let port: Int
    let directory: String
    /// Serve HTTPS with a certificate for 127.0.0.1 signed by a CA of the test's own (`caFile`).
    let tls: Bool
    /// With `tls`: ask clients for a certificate signed by the same CA (mutual TLS).
    let requireClientCertificate: Bool
    private var child: ChildProcess?

    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }
    var caFile: String { directory + "/ca.pem" }

    init(port: Int? = nil, tls: Bool = false, requireClientCertificate: Bool = false) {
        self.port = port ?? MLflowServer.freePort()
        self.tls = tls
        self.requireClientCertificate = requireClientCertificate
        directory = DaemonProcess.makeTemporaryDirectory("mote-mlflow")
    }

    /// A CA and a server certificate for 127.0.0.1 (openssl).
    private func makeCertificates() throws {
        let d = directory
        for arguments in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "2", "-subj", "/CN=mote test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial", "-out", "\(d)/server.pem", "-days", "2",
             "-extfile", "\(d)/ext.cnf"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/client.key", "-out", "\(d)/client.csr", "-subj", "/CN=box-1"],
            ["x509", "-req", "-in", "\(d)/client.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial", "-out", "\(d)/client.pem", "-days", "2"],
        ] {
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(d)/ext.cnf", atomically: true, encoding: .utf8)
            let r = try runCommand("/usr/bin/openssl", arguments, timeout: 60)
            guard r.status == 0 else { throw TestFailure("openssl \(arguments[0]): \(r.stderr)") }
        }
    }

    /// A TCP port nothing listens on now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the server (same backend on every start) and waits until it answers.
    func start() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestFailure("no MLflow at \(Self.executable): run make test-deps (it builds the venv)")
        }
        var arguments = [
            "server", "--backend-store-uri", "sqlite:///\(directory)/mlflow.db", "--serve-artifacts", "--artifacts-destination", "\(directory)/artifacts",
            "--host", "127.0.0.1", "--port", String(port), "--workers", "1",
        ]
        if tls {
            if !FileManager.default.fileExists(atPath: caFile) { try makeCertificates() }
            var options = "--ssl-keyfile=\(directory)/server.key --ssl-certfile=\(directory)/server.pem"
            if requireClientCertificate { options += " --ssl-cert-reqs=2 --ssl-ca-certs=\(directory)/ca.pem" }
            arguments += ["--uvicorn-opts", options]
        }
        child = try ChildProcess(
            Self.executable,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(["MLFLOW_SERVER_ALLOWED_HOSTS": "*"]) { $1 },
            stdout: directory + "/server.log", stderr: directory + "/server.log")
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if let r = try? get("experiments/search", ["max_results": "1"]), r["experiments"] != nil || r == .object(JSONObject()) { return }
            usleep(200_000)
        }
        throw TestFailure("mlflow server did not answer on \(url):\n\((try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "")")
    }

    func stop() {
        _ = child?.killGroup(grace: 5)
        child = nil
    }

    /// A REST call through curl; the JSON answer.
    func call(_ method: String, _ path: String, body: String? = nil, query: [String: String] = [:]) throws -> JSONValue {
        var url = self.url + "/api/2.0/mlflow/" + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        var arguments = ["-s", "-X", method, url, "-H", "content-type: application/json"]
        if tls { arguments += ["--cacert", caFile, "--cert", directory + "/client.pem", "--key", directory + "/client.key"] }
        if let body { arguments += ["-d", body] }
        let r = try runCommand("/usr/bin/curl", arguments, timeout: 30)
        guard r.status == 0 else { throw TestFailure("curl \(method) \(path): \(r.status) \(r.stderr)") }
        return (try? JSONParser.parse(Array(r.stdout.utf8))) ?? .null
    }

    func get(_ path: String, _ query: [String: String] = [:]) throws -> JSONValue { try call("GET", path, query: query) }

    /// A file from the artifact proxy (`mlflow-artifacts:/<path>`).
    func artifact(_ path: String) throws -> String {
        let r = try runCommand("/usr/bin/curl", ["-sf"] + (tls ? ["--cacert", caFile, "--cert", directory + "/client.pem", "--key", directory + "/client.key"] : []) + [url + "/api/2.0/mlflow-artifacts/artifacts/" + path], timeout: 30)
        guard r.status == 0 else { throw TestFailure("no artifact at \(path): curl \(r.status)") }
        return r.stdout
    }
    func post(_ path: String, _ body: String) throws -> JSONValue { try call("POST", path, body: body) }

    /// Runs of the experiments whose names start with `prefix`.
    func runs(experimentPrefix prefix: String) throws -> [JSONValue] {
        let experiments = try post("experiments/search", #"{"max_results": 1000}"#)["experiments"]?.arrayValue ?? []
        let ids = experiments.filter { $0["name"]?.stringValue?.hasPrefix(prefix) == true }.compactMap { $0["experiment_id"]?.stringValue }
        guard !ids.isEmpty else { return [] }
        let list = ids.map { "\"\($0)\"" }.joined(separator: ",")
        return try post("runs/search", #"{"experiment_ids": [\#(list)], "max_results": 1000}"#)["runs"]?.arrayValue ?? []
    }

    deinit { stop() }
}

/// A TCP proxy in front of a server that, for chosen requests, lets the server act and then
/// drops the answer (closes the connection without it): what a client sees when the network
/// fails after the server did the work. Every connection carries one request.
final class DroppingProxy: @unchecked Sendable {
    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var drops: [String: Int]
    private(set) var dropped: [String] = []
    private var running = true

    /// `drops`: how many answers to drop per path suffix (`runs/create`: 1).
    init(upstreamPort: Int, drops: [String: Int]) throws {
        self.upstreamPort = upstreamPort
        self.drops = drops
        port = MLflowServer.freePort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw TestFailure("proxy: cannot listen on \(port)") }
        Thread { [self] in acceptLoop() }.start()
    }

    var droppedPaths: [String] { lock.lock(); defer { lock.unlock() }; return dropped }

    func stop() {
        lock.lock(); running = false; lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread { [self] in handle(client) }.start()
        }
    }

    /// Reads one HTTP request (head + Content-Length body).
    private func readRequest(_ fd: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if data.count >= end.upperBound + length { return data }
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return data.isEmpty ? nil : data }
            data += buffer[0..<n]
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        guard var request = readRequest(client) else { return }
        let firstLine = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        let path = firstLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        // One request per upstream connection: ask the server to close after answering.
        if let end = request.firstRange(of: Array("\r\n".utf8)) {
            request.insert(contentsOf: Array("Connection: close\r\n".utf8), at: end.upperBound)
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(upstreamPort).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return }
        _ = request.withUnsafeBytes { write(upstream, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(upstream, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        lock.lock()
        let key = drops.keys.first { path.split(separator: "?").first?.hasSuffix($0) == true }
        var drop = false
        if let key, let left = drops[key], left > 0 {
            drops[key] = left - 1
            dropped.append(key)
            drop = true
        }
        lock.unlock()
        if drop { return }
        // Tell the client this connection ends with the answer.
        var out = response
        if let end = out.firstRange(of: Array("\r\n".utf8)) { out.insert(contentsOf: Array("Connection: close\r\n".utf8), at: end.upperBound) }
        _ = out.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
    }
}
