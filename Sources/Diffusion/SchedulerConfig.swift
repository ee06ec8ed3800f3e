import Foundation

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
        let r = JSONFields(dict: json, path: path)
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
        guard numTrainTimesteps >= 1 else {
            throw .unsupportedConfig(field: "num_train_timesteps", value: "\(numTrainTimesteps)", supported: "1 or more")
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

/// Typed access to a JSON object; every failure names the field.
private struct JSONFields {
    let dict: [String: Any]
    let path: String

    func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }

    func bad(_ key: String, _ expected: String) -> DiffusionError {
        .unreadable(path: path, reason: "field \(key) should be \(expected), found \(dict[key].map { "\($0)" } ?? "nothing")")
    }

    func int(_ key: String, default d: Int) throws(DiffusionError) -> Int {
        guard let v = value(key) else { return d }
        guard let n = v as? NSNumber, Double(n.intValue) == n.doubleValue else { throw bad(key, "an integer") }
        return n.intValue
    }

    func double(_ key: String, default d: Double) throws(DiffusionError) -> Double {
        guard let v = value(key) else { return d }
        guard let n = v as? NSNumber else { throw bad(key, "a number") }
        return n.doubleValue
    }

    func bool(_ key: String, default d: Bool) throws(DiffusionError) -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v as? Bool else { throw bad(key, "true or false") }
        return b
    }

    func string(_ key: String, default d: String) throws(DiffusionError) -> String {
        guard let v = value(key) else { return d }
        guard let s = v as? String else { throw bad(key, "a string") }
        return s
    }

    func doubles(_ key: String) throws(DiffusionError) -> [Double]? {
        guard let v = value(key) else { return nil }
        guard let a = v as? [Any] else { throw bad(key, "a list of numbers or null") }
        var out: [Double] = []
        for item in a {
            guard let n = item as? NSNumber else { throw bad(key, "a list of numbers or null") }
            out.append(n.doubleValue)
        }
        return out
    }
}
