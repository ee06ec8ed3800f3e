import Diffusion
import EntropyCoding
import Foundation
import ImageIO

/// Parameters of the bits-back coder, stored in the file header.
public struct LosslessParameters: Equatable, Sendable {
    /// δ_t = s_t / 2^gridBits (LatentCoder). More bits: less discretization loss, more initial bits
    /// (about 2 bits per dimension of the first group per grid bit). docs/BENCHMARKS.md has the sweep
    /// behind the default: no loss measurable above the sampling noise from 3 bits on.
    public var gridBits: Int = 4
    /// Half-width of the coded window, in standard deviations.
    public var windowSigmas: Double = 8
    /// The largest number of patches coded in lock-step (one batched network call per step).
    /// Groups start at one patch and grow by a quarter each (`groupRanges`).
    public var groupSize: Int = 32
    /// Respaced chain length (nil: the model's full schedule).
    public var steps: Int?
    /// Which timesteps a respaced chain keeps: quadratic keeps the low ones, where the bits are
    /// (TimestepSpacing); files without the field were written with even spacing.
    public var spacing: TimestepSpacing = .quadratic
    /// Seed of the stack's virtual initial words.
    public var seed: UInt64 = 0x4444_504D_4300_0001
    public init() {}

    /// Consecutive ranges of the `count` patches coded as one group each.
    ///
    /// A group borrows about (initial bits per dimension) × (its dimensions) from the stack while
    /// its chain runs and returns it at the end. Only what earlier groups left on the stack can be
    /// lent for free, so groups start at one patch and grow by a quarter at a time: the first
    /// patch pays the initial bits and later, larger groups mostly live on the bits before them.
    public static func groupRanges(count: Int, maximum: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0, size = 1
        while start < count {
            let end = min(count, start + size)
            ranges.append(start..<end)
            start = end
            size = min(max(1, maximum), size + max(1, size / 4))
        }
        return ranges
    }

    enum Key: UInt8 { case gridBits = 1, windowSigmas = 2, groupSize = 3, clipDenoised = 4, initialBits = 5, spacing = 6 }
    /// Header key of the timestep spacing (TimestepSpacing.code), shared by both codecs.
    public static let spacingKey = Key.spacing.rawValue

    /// The spacing a header records (even when absent: files from before the field).
    public static func spacing(in header: DDPMHeader) throws -> TimestepSpacing {
        guard let v = header.parameters[spacingKey] else { return .even }
        guard v.isFinite, v == v.rounded(), let s = TimestepSpacing(code: Int(v)) else {
            throw FormatError.malformed("unknown timestep spacing code \(v)")
        }
        return s
    }
    /// Header key of the initial bits the encoder measured (informational: `ddpmc info`).
    public static let initialBitsKey = Key.initialBits.rawValue
}

/// What an encode measured.
public struct LosslessReport: Sendable {
    public var fileBytes: Int
    public var dimensions: Int
    public var images: Int
    /// Bits the first pops drew before anything was on the stack.
    public var initialBits: Double
    /// Σ −log2 of the quantized masses coded (pushes minus pops).
    public var idealBits: Double
    public var payloadBits: Double
    public var networkSeconds: Double
    public var codingSeconds: Double

    public var bitsPerDim: Double { Double(fileBytes * 8) / Double(dimensions) }
    public var netBitsPerDim: Double { (Double(fileBytes * 8) - initialBits) / Double(dimensions) }
}

/// Images ⇄ .ddpm files with the bits-back chain.
public struct LosslessCodec: Sendable {
    public let model: DiffusionModel
    /// The first bytes of the SHA-256 of the weights file (DDPMHeader.modelDigest).
    public let modelDigest: [UInt8]
    public let modelName: String

    public init(model: DiffusionModel) throws {
        self.model = model
        let weights = (model.directory as NSString).appendingPathComponent("diffusion_pytorch_model.safetensors")
        guard let data = FileManager.default.contents(atPath: weights) else {
            throw LosslessError.decodeMismatch("cannot read \(weights)")
        }
        modelDigest = Array(Checksums.sha256([UInt8](data)).prefix(DDPMHeader.digestLength))
        modelName = (model.directory as NSString).lastPathComponent
    }

    func chain(_ p: LosslessParameters, clipDenoised: Bool) throws -> BitsBackChain {
        var schedule = model.schedule
        if let steps = p.steps { schedule = try schedule.respaced(steps: steps, spacing: p.spacing) }
        let process = ReverseProcess(schedule: schedule, varianceType: model.scheduler.varianceType,
                                     clipDenoised: clipDenoised, clipDecoder: false,
                                     clipRange: model.scheduler.clipSampleRange)
        return BitsBackChain(model: model, process: process,
                             latents: try LatentCoder(process: process, gridBits: p.gridBits, windowSigmas: p.windowSigmas))
    }

    func items(_ images: [NamedImage]) -> [ChainItem] {
        Patches.items(images.map(\.image), patchHeight: model.patchHeight, patchWidth: model.patchWidth)
    }

    public func encode(_ images: [NamedImage], kind: SourceKind, parameters p: LosslessParameters,
                       progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> (bytes: [UInt8], report: LosslessReport) {
        guard !images.isEmpty else { throw LosslessError.incompatibleImage(name: "input", detail: "no images") }
        for im in images where im.image.channels != model.channels {
            throw LosslessError.incompatibleImage(name: im.name, detail: "it has \(im.image.channels) channel(s), the model "
                + "'\(modelName)' codes \(model.channels)")
        }
        let clip = model.scheduler.clipSample
        let chain = try chain(p, clipDenoised: clip)
        let all = items(images)
        let groups = LosslessParameters.groupRanges(count: all.count, maximum: p.groupSize).map { Array(all[$0]) }
        var stack = RANSStack(seed: p.seed)
        var stats = ChainStatistics()
        let total = groups.count * chain.steps
        for (g, group) in groups.enumerated() {
            try chain.encode(group, onto: &stack, statistics: &stats) { progress(g * chain.steps + $0, total) }
        }
        let payload = stack.serializedBytes()
        var header = DDPMHeader(
            modelDigest: modelDigest, modelName: modelName, sourceKind: kind,
            images: images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels) },
            patchHeight: model.patchHeight, patchWidth: model.patchWidth, steps: chain.steps,
            trainTimesteps: model.schedule.count,
            parameters: [LosslessParameters.Key.gridBits.rawValue: Double(p.gridBits),
                         LosslessParameters.Key.windowSigmas.rawValue: p.windowSigmas,
                         LosslessParameters.Key.groupSize.rawValue: Double(p.groupSize),
                         LosslessParameters.Key.clipDenoised.rawValue: clip ? 1 : 0,
                         LosslessParameters.spacingKey: Double(p.spacing.code)],
            seed: p.seed, pixelDigest: Self.pixelDigest(images.map(\.image)))
        header.parameters[LosslessParameters.Key.initialBits.rawValue] = stack.initialBits
        let bytes = DDPMFile.encode(header: header, sections: [Section(kind: .bitsBack, payload: payload)])
        let report = LosslessReport(fileBytes: bytes.count, dimensions: header.dimensions, images: images.count,
                                    initialBits: stack.initialBits, idealBits: stats.idealBits,
                                    payloadBits: Double(payload.count * 8),
                                    networkSeconds: stats.networkSeconds, codingSeconds: stats.codingSeconds)
        return (bytes, report)
    }

    public func decode(_ bytes: [UInt8], progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws
        -> (images: [NamedImage], kind: SourceKind, header: DDPMHeader)
    {
        let (header, sections, damage) = try DDPMFile.decode(bytes)
        guard header.modelDigest == modelDigest else {
            throw FormatError.modelMismatch(file: Checksums.hex(header.modelDigest), model: Checksums.hex(modelDigest))
        }
        if let damage { throw damage }
        guard let section = sections.first(where: { $0.kind == .bitsBack }) else {
            throw FormatError.malformed("no lossless (bits-back) section")
        }
        var p = LosslessParameters()
        func param(_ k: LosslessParameters.Key) throws -> Double {
            guard let v = header.parameters[k.rawValue], v.isFinite else { throw FormatError.malformed("missing coding parameter \(k)") }
            return v
        }
        p.gridBits = Int(try param(.gridBits)); p.windowSigmas = try param(.windowSigmas)
        p.groupSize = Int(try param(.groupSize)); p.seed = header.seed
        p.steps = header.steps == model.schedule.count ? nil : header.steps
        p.spacing = try LosslessParameters.spacing(in: header)
        guard (1...20).contains(p.gridBits), p.windowSigmas > 0, p.windowSigmas <= 64, p.groupSize >= 1,
              header.steps >= 1, header.steps <= model.schedule.count else {
            throw FormatError.malformed("coding parameters out of range")
        }
        guard header.patchHeight == model.patchHeight, header.patchWidth == model.patchWidth,
              header.images.allSatisfy({ $0.channels == model.channels }) else {
            throw FormatError.malformed("image geometry does not fit the model")
        }
        let chain = try chain(p, clipDenoised: try param(.clipDenoised) != 0)
        let shapes = Patches.shapes(header.images, patchHeight: model.patchHeight, patchWidth: model.patchWidth)
        let groupRanges = LosslessParameters.groupRanges(count: shapes.count, maximum: p.groupSize)
        var stack = try RANSStack(serializedBytes: section.payload, seed: header.seed)
        var stats = ChainStatistics()
        var decoded = [[UInt8]](repeating: [], count: shapes.count)
        let total = groupRanges.count * chain.steps
        for (n, range) in groupRanges.reversed().enumerated() {
            let pixels = try chain.decode(shapes: Array(shapes[range]), from: &stack, statistics: &stats) {
                progress(n * chain.steps + $0, total)
            }
            for (j, px) in pixels.enumerated() { decoded[range.lowerBound + j] = px }
        }
        guard stack.borrowedWordCount == 0, stack.holdsOnlyInitialBits else {
            throw LosslessError.decodeMismatch("the bit stream did not end where it should (damaged file?)")
        }
        let planes = Patches.assemble(decoded, entries: header.images, patchHeight: model.patchHeight,
                                      patchWidth: model.patchWidth, fill: UInt8(0))
        var images: [NamedImage] = []
        for (e, px) in zip(header.images, planes) {
            images.append(NamedImage(name: e.name, image: try Image(width: e.width, height: e.height, channels: e.channels, pixels: px)))
        }
        guard Self.pixelDigest(images.map(\.image)) == header.pixelDigest else {
            throw LosslessError.decodeMismatch("the decoded pixels do not match the checksum in the header")
        }
        return (images, header.sourceKind, header)
    }

    static func pixelDigest(_ images: [Image]) -> [UInt8] {
        var all: [UInt8] = []
        for im in images { all += im.pixels }
        return Array(Checksums.sha256(all).prefix(DDPMHeader.digestLength))
    }
}
