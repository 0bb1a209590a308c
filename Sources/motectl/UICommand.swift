import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl ui [--port N]`: the web console on a loopback port. Each connection to
/// 127.0.0.1:PORT is carried to moted's socket by this process, as the user who runs it, so
/// the console has that user's role (SO_PEERCRED). Only connections from processes of the same
/// user are carried (the owner of the connecting socket, from /proc/net/tcp): another user of
/// the box cannot borrow the role.
struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "Serve the web console on a loopback port, as you (your role applies); Ctrl-C stops it.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "The loopback port to listen on.") var port: Int = 8480

    func run() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port is from 1 to 65535") }
        let socketPath = global.socket ?? MoteClient.defaultSocketPath
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw failure("cannot open a socket: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw failure("cannot listen on 127.0.0.1:\(port): \(errnoText())") }
        // The console answers at all before the URL is printed.
        _ = try CLIOutput.call(global.client(), "GET", "/v2/health/live")
        print("mote console: http://localhost:\(port)/ui/  (as uid \(getuid()); Ctrl-C stops it)")
        print("from another machine: ssh -L \(port):localhost:\(port) THIS-BOX, then open the same URL there")
        fflush(nil)  // every output stream: stdout without naming the global
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) } }
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw failure("accept failed: \(errnoText())")
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let peerPort = UInt16(bigEndian: peer.sin_port)
            guard LoopbackOwner.uid(localPort: UInt16(port), peerPort: peerPort) == getuid() else {
                CLIOutput.error("refused a connection from port \(peerPort): it is not a process of uid \(getuid())")
                close(client)
                continue
            }
            let path = socketPath
            DetachedThread.start { Bridge.carry(client, to: path) }
        }
    }

    private func failure(_ message: String) -> ExitCode {
        CLIOutput.error(message)
        return ExitCode(ExitStatus.apiError)
    }
}

/// Who owns the other end of a loopback TCP connection: /proc/net/tcp lists each socket's
/// local and remote address with its owner's uid.
enum LoopbackOwner {
    static func uid(localPort: UInt16, peerPort: UInt16) -> uid_t? {
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? FileSystem.readText(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 7 else { continue }
                // The client's socket: its local port is the peer port, its remote port ours.
                guard port(of: fields[1]) == peerPort, port(of: fields[2]) == localPort, let uid = UInt32(fields[7]) else { continue }
                return uid
            }
        }
        return nil
    }

    private static func port(of address: Substring) -> UInt16? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return UInt16(address[address.index(after: colon)...], radix: 16)
    }
}

/// Carries bytes both ways between a TCP connection and moted's socket until either closes.
enum Bridge {
    static func carry(_ client: Int32, to socketPath: String) {
        defer { close(client) }
        let upstream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        guard var address = UnixSocketAddress(socketPath), address.connect(upstream) == 0 else { return }
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            guard poll(&fds, 2, -1) > 0 else {
                if errno == EINTR { continue }
                return
            }
            for (k, from, to) in [(0, client, upstream), (1, upstream, client)] where fds[k].revents != 0 {
                fds[k].revents = 0
                let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                guard FileSystem.writeAll(fd: to, Array(buffer[0..<n])) else { return }
            }
        }
    }
}
