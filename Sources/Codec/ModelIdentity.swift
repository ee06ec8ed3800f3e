import Foundation

/// What a file records of the model it was coded with: everything that changes a probability.
/// The header's 8-byte model digest is 5 bytes of the weights' SHA-256 and one byte each of the
/// SHA-256 of the canonical config.json, scheduler_config.json and codec_config.json (absent: the
/// digest of nothing), so a decoder refuses another model and says which part differs
/// (docs/DESIGN.md §6). A changed config goes unnoticed with probability 1/256 per file.
public struct ModelIdentity: Equatable, Sendable {
    public static let parts = ["weights", "config.json", "scheduler_config.json", "codec_config.json"]
    /// Bytes each part takes in the digest, in `parts` order.
    static let widths = [5, 1, 1, 1]

    public let digest: [UInt8]

    public init(digest: [UInt8]) { self.digest = digest }

    /// The identity of a model directory (its weights file read once, the configs canonicalized).
    public init(directory: String) throws {
        var digest: [UInt8] = []
        for (part, width) in zip(Self.parts, Self.widths) {
            let path = (directory as NSString).appendingPathComponent(part == "weights" ? "diffusion_pytorch_model.safetensors" : part)
            let bytes: [UInt8]
            if let data = FileManager.default.contents(atPath: path) {
                bytes = part == "weights" ? [UInt8](data) : try Self.canonicalJSON(data, path: path)
            } else if part == "codec_config.json" {
                bytes = []
            } else {
                throw LosslessError.decodeMismatch("cannot read \(path)")
            }
            digest += Checksums.sha256(bytes).prefix(width)
        }
        self.digest = digest
    }

    /// The parts whose bytes differ between two digests.
    public func differences(from other: ModelIdentity) -> [String] {
        var out: [String] = [], start = 0
        for (part, width) in zip(Self.parts, Self.widths) {
            if digest[start..<(start + width)] != other.digest[start..<(start + width)] { out.append(part) }
            start += width
        }
        return out
    }

    /// JSON as values, not text: keys sorted, numbers (and booleans) as the bit patterns of their
    /// Double values, so reformatting a file or another platform's number printing changes
    /// nothing, while any changed value does. Diffusers' bookkeeping keys (`_diffusers_version`,
    /// `_name_or_path`) are left out.
    static func canonicalJSON(_ data: Data, path: String) throws -> [UInt8] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw LosslessError.decodeMismatch("\(path) is not valid JSON")
        }
        var out: [UInt8] = []
        func emit(_ v: Any) {
            switch v {
            case let d as [String: Any]:
                out.append(UInt8(ascii: "{"))
                for key in d.keys.sorted() where key != "_diffusers_version" && key != "_name_or_path" {
                    emit(key); out.append(UInt8(ascii: ":")); emit(d[key]!)
                }
                out.append(UInt8(ascii: "}"))
            case let a as [Any]:
                out.append(UInt8(ascii: "["))
                for x in a { emit(x); out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "]"))
            case let s as String:
                out.append(UInt8(ascii: "\""))
                out += Array(s.utf8).flatMap { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") ? [UInt8(ascii: "\\"), $0] : [$0] }
                out.append(UInt8(ascii: "\""))
            case let n as NSNumber:
                out += Array("#\(String(n.doubleValue.bitPattern, radix: 16))".utf8)
            default:
                out += Array("null".utf8)
            }
        }
        emit(object)
        return out
    }
}
