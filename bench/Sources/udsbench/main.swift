// udsbench: HTTP/1.1 keep-alive round trips over a Unix socket.
// usage: udsbench SOCKET PATH [--clients N] [--requests N] [--warmup N] [--method GET|POST]
//                 [--body FILE | --bodies FILE]
// Each client is a thread with one connection that sends a request, reads the whole answer
// (Content-Length), and records the round trip. `--bodies` takes a file of bodies, one per
// line (JSON lines); each client walks them in turn from its own starting line, so repeated
// requests carry different rows. Prints p50/p90/p99/max in microseconds and
// the total rate.
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var socket = ""
    var path = "/"
    var clients = 1
    var requests = 20000
    var warmup = 1000
    var method = "GET"
    var bodies: [[UInt8]] = []
}

func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 { perror(path); exit(2) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    close(fd)
    return bytes
}

func parseOptions() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    guard args.count >= 2 else {
        print("usage: udsbench SOCKET PATH [--clients N] [--requests N] [--warmup N] [--method M] [--body FILE | --bodies FILE]")
        exit(2)
    }
    o.socket = args.removeFirst()
    o.path = args.removeFirst()
    while !args.isEmpty {
        let flag = args.removeFirst()
        let value = args.isEmpty ? "" : args.removeFirst()
        switch flag {
        case "--clients": o.clients = Int(value) ?? 1
        case "--requests": o.requests = Int(value) ?? 20000
        case "--warmup": o.warmup = Int(value) ?? 1000
        case "--method": o.method = value
        case "--body": o.bodies = [readFile(value)]
        case "--bodies": o.bodies = readFile(value).split(separator: 10).map { Array($0) }
        default: print("unknown flag \(flag)"); exit(2)
        }
    }
    return o
}

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func connectUnix(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (k, b) in path.utf8.enumerated() { raw[k] = b }
    }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if rc != 0 { perror("connect"); exit(1) }
    return fd
}

/// One connection's loop; returns the latencies in nanoseconds.
func runClient(_ o: Options, count: Int, first: Int = 0) -> [UInt64] {
    let fd = connectUnix(o.socket)
    let requests = (o.bodies.isEmpty ? [[]] : o.bodies).map { body -> [UInt8] in
        var request = Array("\(o.method) \(o.path) HTTP/1.1\r\nHost: localhost\r\n".utf8)
        if !body.isEmpty || o.method == "POST" {
            request += Array("Content-Type: application/json\r\nContent-Length: \(body.count)\r\n".utf8)
        }
        return request + Array("\r\n".utf8) + body
    }
    var next = first % requests.count
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var latencies = [UInt64]()
    latencies.reserveCapacity(count)
    for _ in 0..<count {
        let request = requests[next]
        next = (next + 1) % requests.count
        let start = now()
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var have = 0
        var need = -1
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
            if n <= 0 { print("connection closed after \(latencies.count) requests"); exit(1) }
            have += n
            if need < 0 {
                // Find the end of the head and Content-Length.
                if let headEnd = findHeadEnd(buffer, have) {
                    let length = contentLength(buffer, headEnd)
                    need = headEnd + length
                }
            }
            if need >= 0, have >= need { break }
        }
        latencies.append(now() - start)
    }
    close(fd)
    return latencies
}

func findHeadEnd(_ b: [UInt8], _ count: Int) -> Int? {
    if count < 4 { return nil }
    for i in 0...(count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
        return i + 4
    }
    return nil
}

func contentLength(_ b: [UInt8], _ headEnd: Int) -> Int {
    // Case-insensitive search for "content-length:" then decimal digits.
    let key = Array("content-length:".utf8)
    var i = 0
    while i + key.count < headEnd {
        var match = true
        for k in 0..<key.count where (b[i + k] | 0x20) != key[k] && key[k] != 45 && key[k] != 58 {
            match = false
            break
        }
        if match && b[i + 14] == 58 {
            var j = i + key.count
            while b[j] == 32 { j += 1 }
            var n = 0
            while b[j] >= 48 && b[j] <= 57 { n = n * 10 + Int(b[j] - 48); j += 1 }
            return n
        }
        i += 1
    }
    return 0
}

final class Job: @unchecked Sendable {
    let options: Options
    let count: Int
    let first: Int
    var latencies: [UInt64] = []
    init(_ options: Options, _ count: Int, first: Int) {
        self.options = options
        self.count = count
        self.first = first
    }
}

/// Runs each job on its own thread (no Swift concurrency: plain pthreads, like a C client).
nonisolated func runThreads(_ jobs: [Job]) {
    var threads: [pthread_t] = []
    for job in jobs {
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue()
            job.latencies = runClient(job.options, count: job.count, first: job.first)
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        threads.append(thread)
    }
    for t in threads { pthread_join(t, nil) }
}

let o = parseOptions()
if o.warmup > 0 { _ = runClient(o, count: o.warmup) }
// Clients start at evenly spaced lines of the bodies, after the warm-up's.
let stride = max(1, max(1, o.bodies.count - o.warmup) / o.clients)
let jobs = (0..<o.clients).map { k in Job(o, o.requests / o.clients, first: o.warmup + k * stride) }
let started = now()
runThreads(jobs)
let elapsed = Double(now() - started) / 1e9
let all = jobs.flatMap { $0.latencies }.sorted()
func pct(_ p: Double) -> Double { Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000 }
let rate = Double(all.count) / elapsed
func f1(_ d: Double) -> String { "\(Double(Int((d * 10).rounded())) / 10)" }
print("clients=\(o.clients) requests=\(all.count) p50=\(f1(pct(0.5)))us p90=\(f1(pct(0.9)))us p99=\(f1(pct(0.99)))us max=\(f1(Double(all.last ?? 0) / 1000))us rate=\(Int(rate))/s")
