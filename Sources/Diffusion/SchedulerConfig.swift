import Foundation
import UNet

/// How the betas are made (diffusers' `beta_schedule`, or explicit `trained_betas`).
public enum BetaSchedule: Equatable, Sendable {
    /// beta_i evenly spaced from `start` to `end` (numpy.linspace semantics).
    case linear(start: Double, end: Double)
    /// sqrt(beta_i) evenly spaced from sqrt(start) to sqrt(end) (latent-diffusion's schedule).
    case scaledLinear(start: Double, end: Double)
    /// Nichol & Dhariwal's cosine abar with s = 0.008, betas capped at 0.999.
    case squaredCosCapV2
    /// Betas listed in the config.
    case trained([Double])
}

/// The DDPMScheduler fields (`scheduler_config.json`) that define the diffusion and the
/// reverse process. Fields that only steer diffusers' sampling loop (`timestep_spacing`,
/// `steps_offset`, `sample_max_value`, ...) are ignored; fields that would change the
/// mathematics in ways not implemented here are refused by name.
public struct SchedulerConfig: Equatable, Sendable {
    public var numTrainTimesteps: Int
    public var betaSchedule: BetaSchedule
    public var varianceType: VarianceType
    /// Clip x^_0 to [-clipSampleRange, clipSampleRange] before the posterior mean.
    public var clipSample: Bool
    public var clipSampleRange: Double

    public static let maximumTimesteps = 100_000

    public init(numTrainTimesteps: Int = 1000, betaSchedule: BetaSchedule = .linear(start: 1e-4, end: 0.02),
                varianceType: VarianceType = .fixedLarge, clipSample: Bool = true, clipSampleRange: Double = 1) {
        self.numTrainTimesteps = numTrainTimesteps
        self.betaSchedule = betaSchedule
        self.varianceType = varianceType
        self.clipSample = clipSample
        self.clipSampleRange = clipSampleRange
    }

    public init(path: String) throws(DiffusionError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file or not readable")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw .unreadable(path: path, reason: "not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw .unreadable(path: path, reason: "not a JSON object") }
        try self.init(json: dict, path: path)
    }

    /// Defaults are DDPMScheduler's own, so a config that omits a field means what it means to diffusers.
    public init(json: [String: Any], path: String = "scheduler_config.json") throws(DiffusionError) {
        let r = JSONFieldReader<DiffusionError>(dict: json) { _, reason in .unreadable(path: path, reason: reason) }
        if let name = r.value("_class_name") as? String, name != "DDPMScheduler" {
            throw .unsupportedConfig(field: "_class_name", value: name, supported: "DDPMScheduler")
        }
        let prediction = try r.string("prediction_type", default: "epsilon")
        guard prediction == "epsilon" else {
            throw .unsupportedConfig(field: "prediction_type", value: prediction, supported: "epsilon")
        }
        if try r.bool("thresholding", default: false) {
            throw .unsupportedConfig(field: "thresholding", value: "true", supported: "false (clip_sample is supported)")
        }
        if try r.bool("rescale_betas_zero_snr", default: false) {
            throw .unsupportedConfig(field: "rescale_betas_zero_snr", value: "true", supported: "false")
        }
        numTrainTimesteps = try r.int("num_train_timesteps", default: 1000)
        // The schedule's arrays and a chain's work grow with it: 100,000 is 25x improved-diffusion's longest.
        guard (1...Self.maximumTimesteps).contains(numTrainTimesteps) else {
            throw .unsupportedConfig(field: "num_train_timesteps", value: "\(numTrainTimesteps)",
                                     supported: "1 to \(Self.maximumTimesteps)")
        }
        if let trained = try r.doubles("trained_betas") {
            guard trained.count == numTrainTimesteps else {
                throw .unsupportedConfig(field: "trained_betas", value: "\(trained.count) values",
                                         supported: "num_train_timesteps (\(numTrainTimesteps)) values")
            }
            betaSchedule = .trained(trained)
        } else {
            let start = try r.double("beta_start", default: 0.0001)
            let end = try r.double("beta_end", default: 0.02)
            switch try r.string("beta_schedule", default: "linear") {
            case "linear": betaSchedule = .linear(start: start, end: end)
            case "scaled_linear": betaSchedule = .scaledLinear(start: start, end: end)
            case "squaredcos_cap_v2": betaSchedule = .squaredCosCapV2
            case let other:
                throw .unsupportedConfig(field: "beta_schedule", value: other,
                                         supported: "linear, scaled_linear, squaredcos_cap_v2, or trained_betas")
            }
        }
        let variance = try r.string("variance_type", default: "fixed_small")
        guard let v = VarianceType(configValue: variance) else {
            throw .unsupportedConfig(field: "variance_type", value: variance,
                                     supported: "fixed_small, fixed_small_log, fixed_large, fixed_large_log, learned, learned_range")
        }
        varianceType = v
        clipSample = try r.bool("clip_sample", default: true)
        clipSampleRange = try r.double("clip_sample_range", default: 1)
        guard clipSampleRange > 0, clipSampleRange.isFinite else {
            throw .unsupportedConfig(field: "clip_sample_range", value: "\(clipSampleRange)", supported: "a positive number")
        }
    }
}
