import CSystemd
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// Sockets passed by the service manager (`LISTEN_FDS`, `LISTEN_FDNAMES`), per
/// `sd_listen_fds_with_names(3)`.
public enum SocketActivation {
    /// A passed listening socket.
    public struct PassedSocket: Sendable, Equatable {
        public var fd: Int32
        /// `FileDescriptorName=` of the socket unit (`api` for moted.socket).
        public var name: String
    }

    /// The passed sockets, taking them over (the variables are unset and the fds marked
    /// close-on-exec, so children do not inherit them). Empty when not socket-activated.
    public static func takePassedSockets() -> [PassedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for k in 0..<Int(count) { free(names[k]) }
                free(names)
            }
        }
        var sockets: [PassedSocket] = []
        for k in 0..<Int(count) {
            let fd = SD_LISTEN_FDS_START + Int32(k)
            let name = names?[k].map { String(cString: $0) } ?? "unknown"
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            sockets.append(PassedSocket(fd: fd, name: name))
        }
        return sockets
    }

}
