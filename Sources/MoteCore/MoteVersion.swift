/// The version of this mote build, reported by `GET /v2`, `GET /v1/status` and `motectl version`.
public enum MoteVersion {
    /// Semantic version of the daemon and CLI.
    public static let string = "0.1.0"
    /// The Open Inference Protocol server name in `GET /v2`.
    public static let serverName = "mote"
}
