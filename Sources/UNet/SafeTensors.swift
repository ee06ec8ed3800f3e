import Foundation

/// Errors from reading a model directory. Messages name the file and the field or tensor.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformedSafetensors(path: String, reason: String)
    case unsupportedDType(tensor: String, dtype: String)
    case malformedConfig(path: String, reason: String)
    case unsupportedConfig(field: String, value: String, supported: String)
    case tensorMismatch(missing: [String], unexpected: [String], misshaped: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .malformedSafetensors(path, reason): return "\(path) is not a valid safetensors file: \(reason)"
        case let .unsupportedDType(tensor, dtype):
            return "tensor \(tensor) has dtype \(dtype); supported are F32, F16, BF16"
        case let .malformedConfig(path, reason): return "\(path): \(reason)"
        case let .unsupportedConfig(field, value, supported):
            return "unsupported config value \(field) = \(value) (supported: \(supported))"
        case let .tensorMismatch(missing, unexpected, misshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensors: " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { parts.append("unexpected tensors: " + unexpected.joined(separator: ", ")) }
            if !misshaped.isEmpty { parts.append("mis-shaped tensors: " + misshaped.joined(separator: ", ")) }
            return "the weights do not match the config: " + parts.joined(separator: "; ")
        }
    }
}

/// A tensor from a safetensors file, widened to Float.
public struct NamedTensor: Sendable {
    public let shape: [Int]
    public let values: [Float]
    public var count: Int { values.count }

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "NamedTensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }
}

/// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping names to {dtype, shape, data_offsets}, then the raw little-endian data.
public struct SafeTensors: Sendable {
    public let tensors: [String: NamedTensor]
    public let metadata: [String: String]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.unreadable(path: path, reason: "no such file or not readable")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func bad(_ r: String) -> ModelError { .malformedSafetensors(path: path, reason: r) }
        guard bytes.count >= 8 else { throw bad("file shorter than its 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw bad("header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw bad("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw bad("header is not a JSON object") }
        let dataStart = headerEnd, dataSize = bytes.count - dataStart
        var tensors: [String: NamedTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                if let m = value as? [String: Any] { for (k, v) in m { metadata[k] = "\(v)" } }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any],
                  let offsAny = entry["data_offsets"] as? [Any], offsAny.count == 2 else {
                throw bad("entry \(name) lacks dtype, shape or data_offsets")
            }
            let shape = try shapeAny.map { (v: Any) -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw bad("entry \(name) has a bad shape") }
                return n
            }
            let offs = try offsAny.map { (v: Any) -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw bad("entry \(name) has bad offsets") }
                return n
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw ModelError.unsupportedDType(tensor: name, dtype: dtype)
            }
            var count = 1
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o, p <= dataSize else { throw bad("entry \(name) has an impossible shape \(shape)") }
                count = p
            }
            guard offs[0] <= offs[1], offs[1] <= dataSize else {
                throw bad("entry \(name) points outside the file (offsets \(offs), data size \(dataSize))")
            }
            guard offs[1] - offs[0] == count * width else {
                throw bad("entry \(name): \(offs[1] - offs[0]) bytes for shape \(shape) of \(dtype)")
            }
            let base = dataStart + offs[0]
            var values = [Float](repeating: 0, count: count)
            switch dtype {
            case "F32":
                for i in 0..<count {
                    let p = base + 4 * i
                    let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                    values[i] = Float(bitPattern: bits)
                }
            case "F16":
                for i in 0..<count {
                    let p = base + 2 * i
                    values[i] = Self.halfToFloat(UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8)
                }
            default: // BF16 is the top half of an F32.
                for i in 0..<count {
                    let p = base + 2 * i
                    values[i] = Float(bitPattern: (UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8) << 16)
                }
            }
            tensors[name] = NamedTensor(shape: shape, values: values)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// IEEE binary16 → binary32, exact (every half is representable as a float).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f)
        let mant = UInt32(h & 0x3ff)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // Subnormal half: value = mant · 2^-24, exact in Float.
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }

    /// Serializes F32 tensors (used by tests and tools that write fixtures).
    public static func serialize(_ tensors: [(String, [Int], [Float])]) -> [UInt8] {
        var header = "{"
        var offset = 0
        var body: [UInt8] = []
        for (i, (name, shape, values)) in tensors.enumerated() {
            let n = values.count * 4
            header += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + n)]}"
            offset += n
            for v in values { let b = v.bitPattern; body += [UInt8(b & 0xff), UInt8(b >> 8 & 0xff), UInt8(b >> 16 & 0xff), UInt8(b >> 24)] }
        }
        header += "}"
        while (header.utf8.count + 8) % 8 != 0 { header += " " }
        var out: [UInt8] = []
        let len = UInt64(header.utf8.count)
        for i in 0..<8 { out.append(UInt8(len >> (8 * UInt64(i)) & 0xff)) }
        out += Array(header.utf8)
        out += body
        return out
    }
}
