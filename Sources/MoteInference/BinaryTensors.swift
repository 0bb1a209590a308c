public import MoteCore
import MoteModels

extension ErrorCode {
    /// `Inference-Header-Content-Length` is not a length within the body (400).
    public static let invalidInferenceHeader: ErrorCode = "invalid_inference_header"
    /// Binary tensor data does not match what the JSON header declares: a size that is not
    /// the shape times the datatype's width, bytes left over or missing, a BYTES element
    /// running past its tensor, text that is not UTF-8 (422).
    public static let invalidBinaryData: ErrorCode = "invalid_binary_data"
}

/// The binary tensor data extension of the Open Inference Protocol (as Triton and KServe
/// define it): an input whose `parameters.binary_data_size` is set has no `data`; its bytes
/// follow the JSON header in the body, in input order, little-endian, row-major, without
/// padding. BOOL is one byte (0 or 1); BYTES elements are a 4-byte little-endian length and
/// the bytes. Outputs asked for as binary are written the same way after the answer's JSON.
public enum BinaryTensors {
    /// The bytes after the JSON header, handed out to inputs in order.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        /// The next `size` bytes, for input `name`.
        mutating func take(_ size: Int, for name: String) throws(DomainError) -> UnsafeBufferPointer<UInt8> {
            guard size >= 0, size <= bytes.count - offset else {
                throw invalid("input '\(name)' declares \(size) bytes of binary data; \(bytes.count - offset) remain after the JSON header")
            }
            defer { offset += size }
            return UnsafeBufferPointer(rebasing: bytes[offset..<(offset + size)])
        }

        /// Every byte must belong to an input.
        func finish() throws(DomainError) {
            guard offset == bytes.count else {
                throw invalid("\(bytes.count - offset) bytes after the JSON header belong to no input (binary_data_size of the inputs adds up to \(offset))")
            }
        }
    }

    /// The width of one element of `datatype`; nil for BYTES (variable).
    static func width(_ datatype: String) -> Int? {
        switch datatype {
        case "BOOL", "UINT8", "INT8": 1
        case "UINT16", "INT16", "FP16": 2
        case "UINT32", "INT32", "FP32": 4
        case "UINT64", "INT64", "FP64": 8
        default: nil
        }
    }

    /// `count` numbers of `datatype` from `raw` (NaN, as `null` in JSON, is a missing value).
    static func numbers(_ raw: UnsafeBufferPointer<UInt8>, datatype: String, count: Int, name: String) throws(DomainError) -> [Double] {
        guard let width = width(datatype) else { throw invalid("input '\(name)': \(datatype) has no fixed width") }
        guard raw.count == count * width else {
            throw invalid("input '\(name)': \(count) \(datatype) values take \(count * width) bytes; binary_data_size is \(raw.count)")
        }
        guard count > 0, let address = raw.baseAddress else { return [] }
        let base = UnsafeRawPointer(address)
        @inline(__always) func u64(_ k: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)) }
        @inline(__always) func u32(_ k: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: k * 4, as: UInt32.self)) }
        @inline(__always) func u16(_ k: Int) -> UInt16 { UInt16(littleEndian: base.loadUnaligned(fromByteOffset: k * 2, as: UInt16.self)) }
        var out = [Double](repeating: 0, count: count)
        switch datatype {
        case "FP64": for k in 0..<count { out[k] = Double(bitPattern: u64(k)) }
        case "FP32": for k in 0..<count { out[k] = Double(Float(bitPattern: u32(k))) }
        case "FP16": for k in 0..<count { out[k] = Double(Float16(bitPattern: u16(k))) }
        case "INT64": for k in 0..<count { out[k] = Double(Int64(bitPattern: u64(k))) }
        case "UINT64": for k in 0..<count { out[k] = Double(u64(k)) }
        case "INT32": for k in 0..<count { out[k] = Double(Int32(bitPattern: u32(k))) }
        case "UINT32": for k in 0..<count { out[k] = Double(u32(k)) }
        case "INT16": for k in 0..<count { out[k] = Double(Int16(bitPattern: u16(k))) }
        case "UINT16": for k in 0..<count { out[k] = Double(u16(k)) }
        case "INT8": for k in 0..<count { out[k] = Double(Int8(bitPattern: raw[k])) }
        case "UINT8": for k in 0..<count { out[k] = Double(raw[k]) }
        default:  // BOOL
            for k in 0..<count {
                guard raw[k] <= 1 else { throw invalid("input '\(name)' value \(k): a BOOL byte is 0 or 1, not \(raw[k])") }
                out[k] = Double(raw[k])
            }
        }
        return out
    }

    /// `count` BYTES elements (4-byte little-endian length, then the bytes) that must fill
    /// `raw` exactly; each must be UTF-8 text.
    static func strings(_ raw: UnsafeBufferPointer<UInt8>, count: Int, name: String) throws(DomainError) -> [ModelInput] {
        var out: [ModelInput] = []
        out.reserveCapacity(count)
        var at = 0
        for k in 0..<count {
            guard raw.count - at >= 4 else { throw invalid("input '\(name)' element \(k): its length prefix runs past the tensor's \(raw.count) bytes") }
            var length = 0
            for b in 0..<4 { length |= Int(raw[at + b]) << (8 * b) }
            at += 4
            guard length <= raw.count - at else {
                throw invalid("input '\(name)' element \(k): \(length) bytes run past the tensor's \(raw.count) bytes")
            }
            guard let text = String(validating: UnsafeBufferPointer(rebasing: raw[at..<(at + length)]), as: UTF8.self) else {
                throw invalid("input '\(name)' element \(k) is not UTF-8 text")
            }
            out.append(.text(text))
            at += length
        }
        guard at == raw.count else {
            throw invalid("input '\(name)': \(count) BYTES elements end at byte \(at) of the tensor's \(raw.count)")
        }
        return out
    }

    /// Appends doubles as FP64, little-endian.
    static func append(_ values: some Sequence<Double>, to out: inout [UInt8]) {
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
        }
    }

    /// Appends one BYTES element: its length, little-endian, then its UTF-8.
    static func append(text: String, to out: inout [UInt8]) {
        let length = UInt32(text.utf8.count).littleEndian
        withUnsafeBytes(of: length) { out.append(contentsOf: $0) }
        out.append(contentsOf: text.utf8)
    }

    /// The JSON header's length from `Inference-Header-Content-Length`: a decimal count
    /// within the body.
    public static func headerLength(_ text: String, bodyCount: Int) throws(DomainError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text), n > 0, n <= bodyCount
        else {
            throw DomainError(
                .malformed, .invalidInferenceHeader,
                "Inference-Header-Content-Length '\(text)' must be the byte length of the JSON header, 1 to \(bodyCount) (the body's length)")
        }
        return n
    }

    static func invalid(_ message: String) -> DomainError {
        DomainError(.invalid, .invalidBinaryData, message)
    }
}
