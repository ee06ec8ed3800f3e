import Foundation
import UNet

/// A model's own coding chain: the K of its T timesteps that minimize its expected bound
/// (`Tools/optimal_chain.py`: one network call per timestep and image gives the cost of every
/// jump s → t in closed form, and dynamic programming picks the cheapest K-step path). Different
/// models put their bits at different timesteps, so a fixed spacing rule is a guess where this
/// is a measurement. It changes every probability of a file, so it lives in `codec_config.json`,
/// which is part of the model's identity (ModelIdentity):
///
///     {"chain": {"timesteps": [t_0, …, t_{K−1}], "note": "how it was found"}}
///
/// 0-based timesteps as the network sees them, strictly increasing. The top need not be T − 1: the
/// prior term is taken at the top kept timestep, and where ᾱ is already tiny it costs less than the
/// jumps up to T − 1 would (the fitted chains of the bundled models stop near t = 700).
public struct ModelChain: Equatable, Sendable {
    public let timesteps: [Int]
    public var steps: Int { timesteps.count }

    public init(timesteps: [Int], scheduleCount: Int) throws(DiffusionError) {
        try NoiseSchedule.checkKept(timesteps, total: scheduleCount)
        self.timesteps = timesteps
    }

    /// The `chain` of a model's `codec_config.json` for `scheduleCount` timesteps; nil when the file
    /// or the key is absent.
    static func load(_ config: CodecConfig, scheduleCount: Int) throws(DiffusionError) -> ModelChain? {
        guard let dict = config.object else { return nil }
        func bad(_ reason: String) -> DiffusionError { .unreadable(path: config.path, reason: reason) }
        guard let value = dict["chain"] else { return nil }
        guard let chain = value as? [String: Any] else { throw bad("\"chain\" must be an object") }
        let r = JSONFieldReader<DiffusionError>(dict: chain) { _, reason in bad("chain: " + reason) }
        guard r.value("timesteps") != nil else { throw bad("\"chain\" lacks \"timesteps\"") }
        let t = try r.ints("timesteps", default: [])
        do { return try ModelChain(timesteps: t, scheduleCount: scheduleCount) } catch { throw bad(error.description) }
    }
}
