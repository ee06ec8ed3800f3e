import Foundation
import UNet

/// A diffusers model directory as the codec uses it: the U-Net, its scheduler config and the
/// full noise schedule, checked to fit together.
public struct DiffusionModel: Sendable {
    public let directory: String
    public let network: UNetModel
    public let scheduler: SchedulerConfig
    public let schedule: NoiseSchedule
    /// How images are cut into network inputs (fixed patches, or whole images).
    public let tiling: ModelTiling
    /// The grid images are cut with: the patch size, or a whole-image model's largest tile.
    public var patchHeight: Int { tiling.gridSize.height }
    public var patchWidth: Int { tiling.gridSize.width }

    public var channels: Int { network.config.inChannels }
    /// What previews shrink toward (`preview.json`), when the directory has one.
    public var preview: PreviewPrior?
    /// The model's own coding chain (`codec_config.json`), when it ships one: the default chain of
    /// the codec and what `TimestepSpacing.model` keeps.
    public var chain: ModelChain?

    public init(directory: String) throws(DiffusionError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unreadable(path: directory, reason: "no such model directory")
        }
        let scheduler = try SchedulerConfig(path: (directory as NSString).appendingPathComponent("scheduler_config.json"))
        let network: UNetModel
        do {
            network = try UNetModel(directory: directory)
        } catch let error as ModelError {
            throw .model(path: directory, message: error.description)
        } catch {
            throw .model(path: directory, message: "\(error)")
        }
        let codecConfig = try CodecConfig(directory: directory)
        let tiling = try ModelTiling.load(codecConfig, network: network.config, directory: directory)
        try self.init(network: network, scheduler: scheduler, tiling: tiling, directory: directory)
        preview = try PreviewPrior.load(directory: directory, channels: channels, timesteps: schedule.count)
        chain = try ModelChain.load(codecConfig, scheduleCount: schedule.count)
    }

    /// `tiling` nil: patches of the network's `sample_size`.
    public init(network: UNetModel, scheduler: SchedulerConfig, tiling: ModelTiling? = nil,
                directory: String = "(in memory)") throws(DiffusionError) {
        let c = network.config
        let expected = scheduler.varianceType.isLearned ? 2 * c.inChannels : c.inChannels
        guard c.outChannels == expected else {
            throw .incompatibleModel(path: directory, detail: "variance_type \(scheduler.varianceType.rawValue) needs "
                + "out_channels = \(expected) for in_channels = \(c.inChannels), config.json has \(c.outChannels)")
        }
        if let tiling {
            self.tiling = tiling
        } else {
            self.tiling = try ModelTiling.patches(c, directory: directory)
        }
        self.directory = directory
        self.network = network
        self.scheduler = scheduler
        self.schedule = try NoiseSchedule(config: scheduler)
    }

    /// The reverse process of a chain over this model: the full schedule, or `steps` of it kept with
    /// `spacing` (`.model`: the model's own chain, whose length `steps` must be or leave out);
    /// x̂0 clipped for t >= 2 as the scheduler config says unless `clipDenoised` is given.
    /// The one place a chain's process is built (the bound and both codecs).
    public func reverseProcess(steps: Int? = nil, spacing: TimestepSpacing = .even, clipDenoised: Bool? = nil,
                               clipDecoder: Bool = false) throws(DiffusionError) -> ReverseProcess {
        var s = schedule
        if spacing == .model {
            guard let chain else {
                throw .invalidArgument(detail: "the model at \(directory) ships no chain of its own (codec_config.json "
                    + "\"chain\"): use quadratic or even spacing")
            }
            guard steps == nil || steps == chain.steps else {
                throw .invalidArgument(detail: "the model's own chain has \(chain.steps) steps, not \(steps ?? 0): "
                    + "use quadratic or even spacing for other lengths")
            }
            s = try s.respaced(keeping: chain.timesteps)
        } else if let steps {
            s = try s.respaced(steps: steps, spacing: spacing)
        }
        return ReverseProcess(schedule: s, varianceType: scheduler.varianceType,
                              clipDenoised: clipDenoised ?? scheduler.clipSample, clipDecoder: clipDecoder,
                              clipRange: scheduler.clipSampleRange)
    }

    /// The pieces an image of this size is coded in (ModelTiling).
    public func shapes(height: Int, width: Int) -> [ChainShape] {
        tiling.shapes(height: height, width: width, channels: channels)
    }
}
