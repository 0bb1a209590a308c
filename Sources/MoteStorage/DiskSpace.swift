public import Logging
public import MoteCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Free space on the state directory's filesystem, and the headroom kept on it: new data
/// (pushes, feedback, registry changes, imports) is refused while free space is below
/// `storage.min_free_mib`, so that retention, deletes and trimming, which free space, can
/// still run before SQLite itself fails. A low-space or disk-full episode is logged once
/// when it starts and once when it ends, however many writes it refuses.
public final class DiskSpace: Sendable {
    private struct State {
        var checkedAt: UInt64 = 0
        var freeBytes: Int64 = .max
        /// An episode is under way (space low, or a write failed for want of space).
        var episode = false
        /// Free bytes needed to end the episode: the headroom, or after a write found the
        /// disk full, `fullMarginBytes` more than was free then (so it does not flap).
        var neededBytes: Int64 = 0
        /// The episode began with a write that found the disk full.
        var full = false
    }

    /// Space that must be freed after the disk filled before new data is tried again.
    static let fullMarginBytes: Int64 = 4 * 1_048_576

    private let path: String
    private let minFreeBytes: Int64
    private let logger: Logger
    private let state = Mutex(State())
    /// How long a measurement is trusted while free space is far from the headroom.
    private static let recheckNanos: UInt64 = 1_000_000_000
    /// "Near" the headroom: within this much (plus the headroom again), every write measures.
    private static let nearBytes: Int64 = 256 * 1_048_576

    public init(path: String, minFreeBytes: Int64, logger: Logger = Logger(label: "mote.storage")) {
        self.path = path
        self.minFreeBytes = minFreeBytes
        self.logger = logger
    }

    /// Bytes free for moted on the filesystem now (`statvfs`'s available blocks).
    public func measureFreeBytes() -> Int64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return .max }
        return Int64(stats.f_bavail) &* Int64(stats.f_frsize)
    }

    /// Throws 507 `disk_space_low` when free space is below the headroom (or the last write
    /// found the disk full and it has not been freed since: `disk_full`). Cheap: one clock
    /// read, and a `statvfs` (about a microsecond) once a second, or on every call when near
    /// the line.
    public func requireRoom() throws(DomainError) {
        let now = SystemClock.monotonicNanos()
        let (free, low, full) = state.withLock { s -> (Int64, Bool, Bool) in
            // Far from the line, one measurement a second; near it (or during an episode), every call.
            let near = s.freeBytes < minFreeBytes &* 2 &+ Self.nearBytes || s.episode
            if near || now &- s.checkedAt >= Self.recheckNanos || s.checkedAt == 0 {
                s.freeBytes = measureFreeBytes()
                s.checkedAt = now
                update(&s, low: s.freeBytes < max(minFreeBytes, s.episode ? s.neededBytes : 0))
            }
            return (s.freeBytes, s.episode, s.full)
        }
        guard low else { return }
        if full {
            throw DomainError(
                .insufficientStorage, .diskFull,
                "the disk holding moted's state is full (\(free / 1_048_576) MiB free); new data is refused until space is freed (retention, deletes and trimming still run)")
        }
        throw DomainError(
            .insufficientStorage, .diskSpaceLow,
            "the disk holding moted's state has \(free / 1_048_576) MiB free, below storage.min_free_mib (\(minFreeBytes / 1_048_576)); new data is refused until space is freed (retention, deletes and trimming still run)")
    }

    /// Whether `bytes` more may be written now while keeping the headroom, outside any
    /// episode: for work that can wait (merging pushed rows into the history), which must not
    /// take the room that new data and deletes need. Measures as `requireRoom` does, and never
    /// starts or ends an episode.
    public func hasRoom(forBytes bytes: Int64) -> Bool {
        let now = SystemClock.monotonicNanos()
        return state.withLock { s in
            let near = s.freeBytes < minFreeBytes &* 2 &+ bytes &+ Self.nearBytes || s.episode
            if near || now &- s.checkedAt >= Self.recheckNanos || s.checkedAt == 0 {
                s.freeBytes = measureFreeBytes()
                s.checkedAt = now
            }
            return !s.episode && s.freeBytes >= minFreeBytes &+ bytes
        }
    }

    /// Records that a write failed for want of space; the error to answer with.
    public func full(_ what: String) -> DomainError {
        state.withLock { s in
            s.freeBytes = measureFreeBytes()
            s.checkedAt = SystemClock.monotonicNanos()
            if !s.episode { s.full = true }
            s.neededBytes = s.freeBytes &+ Self.fullMarginBytes
            update(&s, low: true, cause: "a write failed: the disk is full")
        }
        return DomainError(
            .insufficientStorage, .diskFull,
            "\(what) could not be stored: the disk holding moted's state is full; free space (see docs/operations.md, 'Disk space')")
    }

    private func update(_ s: inout State, low: Bool, cause: String? = nil) {
        if low, !s.episode {
            s.episode = true
            logger.warning(
                "disk space low: new data is refused until space is freed",
                metadata: [
                    "event": "\(s.full ? "disk_full" : "disk_space_low")", "free_mib": "\(s.freeBytes / 1_048_576)", "min_free_mib": "\(minFreeBytes / 1_048_576)",
                    "cause": "\(cause ?? "free space below storage.min_free_mib")",
                ])
        } else if !low, s.episode {
            s.episode = false
            s.full = false
            logger.notice(
                "disk space recovered: new data is accepted again",
                metadata: ["event": "disk_space_recovered", "free_mib": "\(s.freeBytes / 1_048_576)"])
        }
    }
}
