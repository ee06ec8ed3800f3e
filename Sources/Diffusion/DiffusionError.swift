/// Everything that can go wrong between a model directory, its scheduler config and a bound.
///
/// Each case names the file, field or image at fault, so the one line a user sees says what
/// to change.
public enum DiffusionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The scheduler config (or another model file) could not be read or parsed.
    case unreadable(path: String, reason: String)
    /// A scheduler config field holds a value this codec does not implement.
    case unsupportedConfig(field: String, value: String, supported: String)
    /// The betas are not a valid diffusion (empty, outside (0, 1), ...).
    case invalidSchedule(detail: String)
    /// `--steps K` cannot respace this schedule.
    case invalidRespacing(steps: Int, timesteps: Int)
    /// The network could not be loaded (the U-Net loader's message).
    case model(path: String, message: String)
    /// Network and scheduler config do not fit together (e.g. out_channels vs variance_type).
    case incompatibleModel(path: String, detail: String)
    /// An image the model cannot code (channel count).
    case incompatibleImage(name: String, detail: String)
    /// Nothing to evaluate.
    case noImages
    /// A caller-supplied setting out of range.
    case invalidArgument(detail: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .unsupportedConfig(field, value, supported):
            return "unsupported model config value \(field) = \(value) (supported: \(supported))"
        case let .invalidSchedule(detail):
            return "invalid noise schedule: \(detail)"
        case let .invalidRespacing(steps, timesteps):
            return "cannot respace \(timesteps) diffusion timesteps to \(steps) steps (need 1 <= steps <= \(timesteps))"
        case let .model(path, message):
            return "cannot load the model in '\(path)': \(message)"
        case let .incompatibleModel(path, detail):
            return "the model in '\(path)' is inconsistent: \(detail)"
        case let .incompatibleImage(name, detail):
            return "image '\(name)' cannot be evaluated: \(detail)"
        case .noImages:
            return "no images to evaluate"
        case let .invalidArgument(detail):
            return detail
        }
    }
}
