import Glibc

/// One view's cached rows, packed: every entity's record in one growing block of memory and
/// an open-addressing index over it, so that a million entities cost a few large allocations
/// instead of a dictionary slot, a key string and an array each.
///
/// A record, 8-byte aligned: event time and creation time (Int64 each), the row's byte count
/// and the key's (UInt32 each), the key's UTF-8 bytes, then the row (`OnlineRow`). A newer
/// row of the same size overwrites its record in place (a numeric row always has the same
/// size); one of another size is appended and the old record left as garbage, reclaimed when
/// garbage passes half of the block. Index slots hold the upper 32 bits of the key's hash
/// (seeded per process, so keys cannot be chosen to collide) and the record's offset / 8 + 1;
/// a slot's position comes from its hash bits, so growing the index rehashes no key.
///
/// Not thread-safe: `OnlineFeatureCache` keeps each table behind a lock.
final class CachedRowTable {
    private var block: UnsafeMutableRawPointer?
    private var used = 0
    private var capacity = 0
    private var slots: UnsafeMutablePointer<UInt64>?
    private var slotCount = 0
    private(set) var count = 0
    private var garbage = 0

    private static let header = 24

    init() {}

    deinit {
        free(block)
        free(slots)
    }

    /// Bytes held in memory (records and index).
    var bytes: Int { capacity + slotCount * 8 }

    // MARK: - Reading

    /// The record of `key`, if cached: its times and row bytes (valid until the table changes).
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer) -> (eventNanos: Int64, createdNanos: Int64, row: UnsafeRawBufferPointer)? {
        guard let offset = locate(key, hash: Self.hash(key)).offset else { return nil }
        return record(at: offset)
    }

    /// `find` by a key string.
    @inline(__always)
    func find(_ key: String) -> (eventNanos: Int64, createdNanos: Int64, row: UnsafeRawBufferPointer)? {
        var key = key
        return key.withUTF8 { find(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    private func record(at offset: Int) -> (eventNanos: Int64, createdNanos: Int64, row: UnsafeRawBufferPointer) {
        let base = block! + offset
        let rowCount = Int(base.load(fromByteOffset: 16, as: UInt32.self))
        let keyCount = Int(base.load(fromByteOffset: 20, as: UInt32.self))
        return (
            base.load(as: Int64.self), base.load(fromByteOffset: 8, as: Int64.self),
            UnsafeRawBufferPointer(start: base + Self.header + keyCount, count: rowCount)
        )
    }

    /// Calls `body` with each cached entity's key bytes and event time (valid during the call),
    /// in index order.
    func forEachEntity(_ body: (UnsafeRawBufferPointer, Int64) -> Void) {
        forEachRecord { key, event, _ in body(key, event) }
    }

    /// Calls `body` with each cached entity's key bytes, event time and row bytes (valid during
    /// the call), in index order.
    func forEachRecord(_ body: (UnsafeRawBufferPointer, Int64, UnsafeRawBufferPointer) -> Void) {
        guard let slots else { return }
        for i in 0..<slotCount where slots[i] != 0 {
            let offset = Int(truncatingIfNeeded: slots[i] & 0xFFFF_FFFF) * 8 - 8
            let base = block! + offset
            let keyCount = Int(base.load(fromByteOffset: 20, as: UInt32.self))
            body(UnsafeRawBufferPointer(start: base + Self.header, count: keyCount), base.load(as: Int64.self), record(at: offset).row)
        }
    }

    // MARK: - Writing

    /// Room for `additional` more entities with rows of about `rowBytes` each, so that a bulk
    /// fill grows nothing.
    func reserve(additional: Int, rowBytes: Int) {
        growIndex(toHold: count + additional)
        growBlock(toHold: used + additional * Self.aligned(Self.header + 16 + rowBytes))
    }

    /// Stores a row for `key` unless a newer one is there: a later event, or the same event
    /// created at least as late, replaces (a late, older event never overwrites). `write`
    /// fills the row's `rowBytes` bytes.
    @inline(__always)
    func upsert(
        _ key: UnsafeRawBufferPointer, eventNanos: Int64, createdNanos: Int64, rowBytes: Int,
        write: (UnsafeMutableRawPointer) -> Void
    ) {
        upsert(key, hash: Self.hash(key), eventNanos: eventNanos, createdNanos: createdNanos, rowBytes: rowBytes, write: write)
    }

    /// The hash `upsert` and `find` use for a key (callers of `upsert(_:hash:...)` compute it
    /// ahead, outside the table's lock).
    @inline(__always)
    static func hash(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// Loads the index slots and records of many keys before they are upserted, each load
    /// independent of the others, so that the processor overlaps their cache misses (random
    /// entities miss twice each: the slot, then the record) instead of waiting for them one
    /// by one inside `upsert`.
    func warm(_ hashes: UnsafeBufferPointer<UInt64>) {
        guard let slots, slotCount > 0, let block else { return }
        let mask = slotCount - 1
        var touched: UInt64 = 0
        for hash in hashes { touched &+= slots[Int(truncatingIfNeeded: hash >> 32) & mask] }
        for hash in hashes {
            let slot = slots[Int(truncatingIfNeeded: hash >> 32) & mask]
            if slot != 0 { touched &+= block.load(fromByteOffset: Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) * 8 - 8, as: UInt64.self) }
        }
        warmed = touched
    }

    /// Keeps `warm`'s loads from being optimised away.
    private var warmed: UInt64 = 0

    /// `upsert` with the key's hash computed ahead (`hash(_:)`).
    @inline(__always)
    func upsert(
        _ key: UnsafeRawBufferPointer, hash: UInt64, eventNanos: Int64, createdNanos: Int64, rowBytes: Int,
        write: (UnsafeMutableRawPointer) -> Void
    ) {
        let (found, position) = locate(key, hash: hash)
        if let offset = found {
            let base = block! + offset
            let event = base.load(as: Int64.self)
            let created = base.load(fromByteOffset: 8, as: Int64.self)
            guard eventNanos > event || (eventNanos == event && createdNanos >= created) else { return }
            let oldRow = Int(base.load(fromByteOffset: 16, as: UInt32.self))
            let size = Self.aligned(Self.header + key.count + rowBytes)
            if size == Self.aligned(Self.header + key.count + oldRow) {
                base.storeBytes(of: eventNanos, as: Int64.self)
                base.storeBytes(of: createdNanos, toByteOffset: 8, as: Int64.self)
                base.storeBytes(of: UInt32(rowBytes), toByteOffset: 16, as: UInt32.self)
                write(base + Self.header + key.count)
                return
            }
            garbage += Self.aligned(Self.header + key.count + oldRow)
            let moved = append(key, eventNanos: eventNanos, createdNanos: createdNanos, rowBytes: rowBytes, write: write)
            slots![position] = slots![position] & 0xFFFF_FFFF_0000_0000 | UInt64(moved / 8 + 1)
            if garbage > 1 << 20 && garbage > used / 2 { compact() }
            return
        }
        let offset = append(key, eventNanos: eventNanos, createdNanos: createdNanos, rowBytes: rowBytes, write: write)
        count += 1
        if count * 4 > slotCount * 3 {
            growIndex(toHold: count)
            insert(hash: hash, offset: offset)
        } else {
            slots![position] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(offset / 8 + 1)
        }
    }

    /// `upsert` of a key string.
    @inline(__always)
    func upsert(_ key: String, eventNanos: Int64, createdNanos: Int64, rowBytes: Int, write: (UnsafeMutableRawPointer) -> Void) {
        var key = key
        key.withUTF8 { upsert(UnsafeRawBufferPointer($0), eventNanos: eventNanos, createdNanos: createdNanos, rowBytes: rowBytes, write: write) }
    }

    // MARK: - Internals

    @inline(__always)
    private static func aligned(_ n: Int) -> Int { (n + 7) & ~7 }

    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: key)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// The offset of `key`'s record and its slot, or nil and the empty slot it would take.
    @inline(__always)
    private func locate(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (offset: Int?, position: Int) {
        guard let slots, slotCount > 0 else { return (nil, 0) }
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slotCount - 1
        var position = Int(truncatingIfNeeded: hash >> 32) & mask
        while true {
            let slot = slots[position]
            if slot == 0 { return (nil, position) }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let offset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) * 8 - 8
                let base = block! + offset
                let keyCount = Int(base.load(fromByteOffset: 20, as: UInt32.self))
                if keyCount == key.count, key.count == 0 || memcmp(base + Self.header, key.baseAddress!, keyCount) == 0 {
                    return (offset, position)
                }
            }
            position = (position + 1) & mask
        }
    }

    private func append(
        _ key: UnsafeRawBufferPointer, eventNanos: Int64, createdNanos: Int64, rowBytes: Int, write: (UnsafeMutableRawPointer) -> Void
    ) -> Int {
        let size = Self.aligned(Self.header + key.count + rowBytes)
        if used + size > capacity { growBlock(toHold: used + size) }
        let offset = used
        let base = block! + offset
        base.storeBytes(of: eventNanos, as: Int64.self)
        base.storeBytes(of: createdNanos, toByteOffset: 8, as: Int64.self)
        base.storeBytes(of: UInt32(rowBytes), toByteOffset: 16, as: UInt32.self)
        base.storeBytes(of: UInt32(key.count), toByteOffset: 20, as: UInt32.self)
        if key.count > 0 { (base + Self.header).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        write(base + Self.header + key.count)
        used += size
        return offset
    }

    /// Grows the block by half again (or to `needed`); `realloc` moves large blocks by
    /// remapping pages, and pages not yet written cost no memory.
    private func growBlock(toHold needed: Int) {
        guard needed > capacity else { return }
        let target = max(needed, capacity + capacity / 2, 64 << 10)
        guard let grown = realloc(block, target) else { fatalError("online cache: out of memory growing to \(target) bytes") }
        block = grown
        capacity = target
    }

    /// Grows the index to a power of two that holds `entities` at most three quarters full.
    private func growIndex(toHold entities: Int) {
        var target = max(slotCount, 16)
        while entities * 4 > target * 3 { target *= 2 }
        guard target > slotCount else { return }
        let old = slots
        let oldCount = slotCount
        guard let fresh = calloc(target, 8)?.assumingMemoryBound(to: UInt64.self) else {
            fatalError("online cache: out of memory growing its index to \(target) slots")
        }
        slots = fresh
        slotCount = target
        if let old {
            for i in 0..<oldCount where old[i] != 0 { place(old[i]) }
            free(old)
        }
    }

    @inline(__always)
    private func insert(hash: UInt64, offset: Int) {
        place((hash & 0xFFFF_FFFF_0000_0000) | UInt64(offset / 8 + 1))
    }

    /// Puts a slot value at the first free position from its hash bits.
    @inline(__always)
    private func place(_ slot: UInt64) {
        let mask = slotCount - 1
        var position = Int(truncatingIfNeeded: slot >> 32) & mask
        while slots![position] != 0 { position = (position + 1) & mask }
        slots![position] = slot
    }

    /// Copies the live records into a new block, in index order, and drops the garbage.
    private func compact() {
        let live = used - garbage
        guard let fresh = malloc(max(live, 64 << 10)) else { fatalError("online cache: out of memory compacting") }
        var written = 0
        for i in 0..<slotCount where slots![i] != 0 {
            let slot = slots![i]
            let offset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) * 8 - 8
            let base = block! + offset
            let size = Self.aligned(
                Self.header + Int(base.load(fromByteOffset: 20, as: UInt32.self)) + Int(base.load(fromByteOffset: 16, as: UInt32.self)))
            (fresh + written).copyMemory(from: base, byteCount: size)
            slots![i] = slot & 0xFFFF_FFFF_0000_0000 | UInt64(written / 8 + 1)
            written += size
        }
        free(block)
        block = fresh
        capacity = max(live, 64 << 10)
        used = written
        garbage = 0
    }
}

/// Rows gathered for a bulk fill of a `CachedRowTable` (the rebuild and the inbox replay at
/// start), put in a few hundred at a time: the table's index slots for a batch are loaded
/// together first (`warm`), so their cache misses overlap instead of stalling each insert
/// (a third of a million-row rebuild waited on them one by one).
struct PendingRows {
    private var bytes: [UInt8] = []
    private var keys: [Range<Int>] = []
    private var rows: [Range<Int>] = []
    private var events: [Int64] = []
    private var created: [Int64] = []
    private var hashes: [UInt64] = []

    /// Rows per batch.
    static let batch = 512

    var isFull: Bool { keys.count >= Self.batch }

    mutating func add(key: UnsafeRawBufferPointer, eventNanos: Int64, createdNanos: Int64, row: UnsafeRawBufferPointer) {
        let keyStart = bytes.count
        bytes.append(contentsOf: key)
        let rowStart = bytes.count
        bytes.append(contentsOf: row)
        keys.append(keyStart..<rowStart)
        rows.append(rowStart..<bytes.count)
        events.append(eventNanos)
        created.append(createdNanos)
        hashes.append(CachedRowTable.hash(key))
    }

    /// Upserts the gathered rows in the order they came, then empties the batch.
    mutating func flush(into table: CachedRowTable) {
        hashes.withUnsafeBufferPointer { table.warm($0) }
        bytes.withUnsafeBytes { all in
            for i in keys.indices {
                let row = UnsafeRawBufferPointer(rebasing: all[rows[i]])
                table.upsert(
                    UnsafeRawBufferPointer(rebasing: all[keys[i]]), hash: hashes[i], eventNanos: events[i], createdNanos: created[i],
                    rowBytes: row.count
                ) { $0.copyMemory(from: row.baseAddress!, byteCount: row.count) }
            }
        }
        bytes.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        created.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
    }
}
