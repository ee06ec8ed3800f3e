/// Failures of the lossless coder that are not format errors.
public enum LosslessError: Error, CustomStringConvertible, Equatable {
    case latentOutOfRange
    case incompatibleImage(name: String, detail: String)
    case decodeMismatch(String)

    public var description: String {
        switch self {
        case .latentOutOfRange: return "a latent fell outside the codable range (the model's outputs are not finite?)"
        case let .incompatibleImage(name, detail): return "\(name): \(detail)"
        case let .decodeMismatch(why): return "decoding failed: \(why)"
        }
    }
}
