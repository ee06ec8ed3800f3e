import Foundation

/// What a file records of the model it was coded with: everything that changes a probability.
/// The header's 4-byte model digest is 3 bytes of the weights' SHA-256 and one byte of the SHA-256
/// of the three canonical configs together (config.json, scheduler_config.json and
/// codec_config.json; an absent one counts by its name alone), so a decoder refuses another model and says whether its
/// weights or its configuration differ (docs/DESIGN.md §6). Sized for a lone small image, where
/// each byte is a hundredth of a bit per dimension: other weights go unnoticed with probability
/// 2^-24, a changed config with 1/256 per file, and a lossless decode is checked end to end by its
/// pixel digest besides.
public struct ModelIdentity: Equatable, Sendable {
    /// What each byte group of the digest covers, in order.
    public static let parts = ["weights", "configs (config.json, scheduler_config.json, codec_config.json)"]
    static let configFiles = ["config.json", "scheduler_config.json", "codec_config.json"]
    /// Bytes each part takes in the digest, in `parts` order.
    static let widths = [3, 1]

    public let digest: [UInt8]

    public init(digest: [UInt8]) { self.digest = digest }

    /// The identity of a model directory (its weights file read once, the configs canonicalized).
    public init(directory: String) throws {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let weightsPath = path("diffusion_pytorch_model.safetensors")
        guard let weights = FileManager.default.contents(atPath: weightsPath) else {
            throw LosslessError.decodeMismatch("cannot read \(weightsPath)")
        }
        // Each config as its canonical bytes behind its name, so that no two sets of files share them.
        var configs: [UInt8] = []
        for name in Self.configFiles {
            configs += Array(name.utf8) + [0]
            if let data = FileManager.default.contents(atPath: path(name)) {
                configs += try Self.canonicalJSON(data, path: path(name))
            } else if name != "codec_config.json" {
                throw LosslessError.decodeMismatch("cannot read \(path(name))")
            }
            configs.append(0)
        }
        digest = Array(Checksums.sha256([UInt8](weights)).prefix(Self.widths[0]))
            + Array(Checksums.sha256(configs).prefix(Self.widths[1]))
    }

    /// The parts whose bytes differ between two digests.
    public func differences(from other: ModelIdentity) -> [String] {
        var out: [String] = [], start = 0
        for (part, width) in zip(Self.parts, Self.widths) {
            guard digest.count >= start + width, other.digest.count >= start + width else { return Self.parts }
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
