import Foundation
import UNet

/// A diffusers model directory as the codec uses it: the U-Net, its scheduler config and the
/// full noise schedule, checked to fit together.
public struct DiffusionModel: Sendable {
    public let directory: String
    public let network: UNetModel
    public let scheduler: SchedulerConfig
    public let schedule: NoiseSchedule
    /// The network's native input size: images are tiled into patches of this size.
    public let patchHeight: Int
    public let patchWidth: Int

    public var channels: Int { network.config.inChannels }

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
        try self.init(network: network, scheduler: scheduler, directory: directory)
    }

    public init(network: UNetModel, scheduler: SchedulerConfig, directory: String = "(in memory)") throws(DiffusionError) {
        let c = network.config
        let expected = scheduler.varianceType.isLearned ? 2 * c.inChannels : c.inChannels
        guard c.outChannels == expected else {
            throw .incompatibleModel(path: directory, detail: "variance_type \(scheduler.varianceType.rawValue) needs "
                + "out_channels = \(expected) for in_channels = \(c.inChannels), config.json has \(c.outChannels)")
        }
        guard let size = c.sampleSize, size.height > 0, size.width > 0 else {
            throw .incompatibleModel(path: directory, detail: "config.json has no sample_size, which sets the patch size")
        }
        self.directory = directory
        self.network = network
        self.scheduler = scheduler
        self.schedule = try NoiseSchedule(config: scheduler)
        patchHeight = size.height
        patchWidth = size.width
    }
}
