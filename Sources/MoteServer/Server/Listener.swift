/// Where the API socket comes from.
public enum Listener: Sendable, Equatable {
    /// A listening socket passed by systemd (`moted.socket`).
    case adopted(fd: Int32, name: String)
    /// A socket moted binds itself at `path`, then sets `mode` and `group` on the file.
    case bind(path: String, mode: UInt32, group: String)
}
