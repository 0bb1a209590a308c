import MoteCore
import MoteFeatures

#if canImport(Glibc)
import Glibc
#endif

/// A scoring run's results file: written beside its final name as it goes (`.part`), then
/// fsynced and renamed into place, so a reader sees the last complete run's file, never half
/// of one.
struct ResultFile {
    let path: String
    let format: ScoringJobSpec.FileFormat
    let joinKeys: [String]
    let withLabel: Bool
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(directory: String, name: String, format: ScoringJobSpec.FileFormat, joinKeys: [String], withLabel: Bool) throws {
        try FileSystem.createDirectory(directory, mode: 0o750)
        path = directory + "/" + name
        self.format = format
        self.joinKeys = joinKeys
        self.withLabel = withLabel
        fd = open(path + ".part", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw MoteError(.io, "cannot write \(path).part: \(errnoText())") }
        if format == .csv {
            let columns = joinKeys + ["prediction"] + (withLabel ? ["label"] : []) + ["model_version", "prediction_id", "scored_at"]
            for (k, name) in columns.enumerated() {
                if k > 0 { buffer.append(UInt8(ascii: ",")) }
                CSV.appendField(name, to: &buffer)
            }
            buffer.append(0x0A)
        }
    }

    /// Appends one scored entity.
    mutating func append(key: String, keyTypes: [EntityKeyType], prediction: Double, label: String?, version: Int, id: String, at: String) throws {
        let parts = joinKeys.count == 1 ? [Substring(key)] : key.split(separator: EntityKey.separator, omittingEmptySubsequences: false)
        switch format {
        case .csv:
            for part in parts {
                CSV.appendField(String(part), to: &buffer)
                buffer.append(UInt8(ascii: ","))
            }
            JSONWriter.appendDouble(prediction, to: &buffer)
            if withLabel {
                buffer.append(UInt8(ascii: ","))
                CSV.appendField(label ?? "", to: &buffer)
            }
            buffer.append(contentsOf: ",\(version),\(id),\(at)\n".utf8)
        case .jsonl:
            var w = JSONWriter(capacity: 160)
            w.beginObject()
            for (k, part) in parts.enumerated() {
                w.key(joinKeys[k])
                if keyTypes[k] == .int64, let i = Int64(part) { w.int(i) } else { w.string(String(part)) }
            }
            w.key("prediction"); w.double(prediction)
            if withLabel { w.key("label"); if let label { w.string(label) } else { w.null() } }
            w.key("model_version"); w.int(version)
            w.key("prediction_id"); w.string(id)
            w.key("scored_at"); w.string(at)
            w.endObject()
            buffer.append(contentsOf: w.bytes)
            buffer.append(0x0A)
        }
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        guard FileSystem.writeAll(fd: fd, buffer) else { throw MoteError(.io, "cannot write \(path).part: \(errnoText())") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left, syncs, and puts the file in place of the last run's.
    mutating func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw MoteError(.io, "cannot sync \(path).part: \(errnoText())") }
        close(fd)
        guard rename(path + ".part", path) == 0 else { throw MoteError(.io, "cannot rename \(path).part into place: \(errnoText())") }
    }

    /// Drops the partial file (a failed or cancelled run leaves the last run's file as it was).
    func discard() {
        close(fd)
        unlink(path + ".part")
    }
}
