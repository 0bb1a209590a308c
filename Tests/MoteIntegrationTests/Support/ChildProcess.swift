import Foundation

/// A child process started with `posix_spawn` in its own process group, reaped with
/// `waitpid`: every wait has a deadline, and a child that outlives it is killed with its
/// whole group, so a stuck tool fails one test instead of hanging the run.
/// (Foundation's `Process` is not used: its Linux termination tracking rests on a run loop
/// and a SIGCHLD source, and has hung here.)
final class ChildProcess: @unchecked Sendable {
    /// The child's process id (also its process group id).
    let pid: pid_t
    private let state = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; stdin is /dev/null, stdout and stderr go to the
    /// given files (appended; /dev/null when nil).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        stdout: String? = nil, stderr: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = [executable] + arguments
        var child: pid_t = 0
        let result = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in posix_spawn(&child, executable, &actions, &attributes, cArgv, cEnv) }
        }
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Whether the child has not exited yet (reaps it when it has).
    var isRunning: Bool { poll() == nil }

    /// The exit code, or 128 + the signal that ended it; nil while it runs.
    var terminationStatus: Int32? { poll() }

    /// Sends `signal` to the child.
    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `timeout` seconds; nil when the child still runs.
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = poll() { return status }
            usleep(5_000)
        }
        return poll()
    }

    /// Ends the child's whole process group: SIGTERM first (so a script's cleanup trap runs),
    /// SIGKILL after `grace` seconds; reaps the child.
    @discardableResult
    func killGroup(grace: Double = 0) -> Int32? {
        if grace > 0, poll() == nil {
            kill(-pid, SIGTERM)
            if let status = wait(timeout: grace) { return status }
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        return wait(timeout: 10)
    }

    private func poll() -> Int32? {
        state.lock()
        defer { state.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        let reaped = waitpid(pid, &raw, WNOHANG)
        guard reaped == pid else { return nil }
        let signalled = raw & 0x7f
        exitStatus = signalled == 0 ? (raw >> 8) & 0xff : 128 + signalled
        return exitStatus
    }

    deinit {
        if poll() == nil { killGroup() }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
