import Diffusion
import EntropyCoding
import Foundation
import ImageIO

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
    /// Patches sent first by the direct route (Bootstrap), and their bits, which the chain popped
    /// instead of borrowing initial bits.
    public var bootstrapPatches = 0
    public var bootstrapBits = 0.0
    /// Bytes of the file besides the bits-back payload.
    public var containerBytes = 0

    public var bitsPerDim: Double { Double(fileBytes * 8) / Double(dimensions) }
    public var netBitsPerDim: Double { (Double(fileBytes * 8) - initialBits) / Double(dimensions) }
}

/// Images ⇄ .ddpm files with the bits-back chain.
public struct LosslessCodec: Sendable {
    public let model: DiffusionModel
    /// The model's identity (ModelIdentity), recorded as DDPMHeader.modelDigest.
    public let identity: ModelIdentity
    public var modelDigest: [UInt8] { identity.digest }
    public let modelName: String
    /// What a file may ask of a decode (checked before any work).
    public var limits = DecodeLimits()

    public init(model: DiffusionModel) throws {
        self.model = model
        identity = try ModelIdentity(directory: model.directory)
        modelName = (model.directory as NSString).lastPathComponent
    }

    func items(_ images: [NamedImage]) -> [ChainItem] {
        Patches.items(images.map(\.image), model: model)
    }

    /// Checks that images fit the model before any work.
    func checkImages(_ images: [NamedImage]) throws {
        guard !images.isEmpty else { throw LosslessError.incompatibleImage(name: "input", detail: "no images") }
        for im in images where im.image.channels != model.channels {
            throw LosslessError.incompatibleImage(name: im.name, detail: "it has \(im.image.channels) channel(s), the model "
                + "'\(modelName)' codes \(model.channels)")
        }
    }

    /// The header of a file of these images (both codecs).
    func header(_ images: [NamedImage], kind: SourceKind, parameters p: CodingParameters, initialBits: Double?) -> DDPMHeader {
        DDPMHeader(
            modelDigest: modelDigest, modelName: modelName, sourceKind: kind,
            images: images.map { ImageEntry(name: $0.name, width: $0.image.width, height: $0.image.height, channels: $0.image.channels) },
            patchHeight: model.patchHeight, patchWidth: model.patchWidth,
            steps: p.chainLength(trainTimesteps: model.schedule.count), trainTimesteps: model.schedule.count,
            parameters: p.headerFields(initialBits: initialBits), seed: p.seed)
    }

    /// The coding parameters of a file made with this model, checked against the model.
    func parameters(of header: DDPMHeader) throws -> CodingParameters {
        guard header.modelDigest == modelDigest else {
            throw FormatError.modelMismatch(file: Checksums.hex(header.modelDigest), model: Checksums.hex(modelDigest),
                                            differing: ModelIdentity(digest: header.modelDigest).differences(from: identity))
        }
        try limits.check(header)
        let p = try CodingParameters(header: header)
        do {
            try p.validate(trainTimesteps: model.schedule.count)
        } catch {
            throw FormatError.malformed(error.description)
        }
        guard header.images.allSatisfy({ $0.channels == model.channels }) else {
            throw FormatError.malformed("the image geometry or chain does not fit the model")
        }
        return p
    }

    /// The resolved parameters of an encode: the model's clipping unless set.
    func resolved(_ p: CodingParameters) throws -> CodingParameters {
        var p = p
        p.clipDenoised = p.clipDenoised ?? model.scheduler.clipSample
        try p.validate(trainTimesteps: model.schedule.count)
        return p
    }

    public func encode(_ images: [NamedImage], kind: SourceKind, parameters: CodingParameters = CodingParameters(),
                       progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> (bytes: [UInt8], report: LosslessReport) {
        try checkImages(images)
        var p = try resolved(parameters)
        p.mode = .lossless
        var tail = try LosslessTail(model: model, parameters: p)
        let all = items(images)
        let steps = p.chainLength(trainTimesteps: model.schedule.count)
        // The bootstrap's patches and bits. The automatic choice drops it for images whose steps
        // no chunk layout can carry (far from the model): bits-back codes anything.
        var direct: [ChainItem] = [], seed: [UInt8] = []
        func encodeDirect(_ m: Int) throws -> [UInt8] {
            m == 0 ? [] : try Bootstrap(model: model, file: p, dimensions: all[..<m].reduce(0) { $0 + $1.pixels.count })
                .encode(Array(all[..<m])) { progress($0, steps + tail.work(patches: all.count - m, top: nil)) }
        }
        if let m = p.bootstrap {
            direct = Array(all[..<min(m, all.count - 1)])
            seed = try encodeDirect(direct.count)
        } else {
            do {
                let (m, bytes) = try Bootstrap.choose(estimate: try Bootstrap.count(all, model: model, file: p),
                                                      encode: encodeDirect) { j in
                    var stats = ChainStatistics()
                    return try LosslessTail(model: model, parameters: p).encode([all[j]], statistics: &stats) { _ in }.initialBits
                }
                (direct, seed) = (Array(all[..<m]), bytes)
            } catch ProgressiveError.chunkTooLarge {
                (direct, seed) = ([], [])
            }
        }
        let chained = Array(all[direct.count...])
        tail.bootstrapped = !direct.isEmpty
        var stats = ChainStatistics()
        let total = tail.work(patches: chained.count, top: nil) + (direct.isEmpty ? 0 : steps)
        p.bootstrap = direct.count
        p.bootstrapBytes = seed.count
        let done = direct.isEmpty ? 0 : steps
        let (payload, initialBits) = try tail.encode(chained, initialData: seed, origin: Self.pixelDigest(images.map(\.image)),
                                                     statistics: &stats) { progress(done + $0, total) }
        let header = header(images, kind: kind, parameters: p, initialBits: initialBits)
        let alpha = AlphaPlanes.section(images.map(\.image))
        let bytes = DDPMFile.encode(header: header, sections: [alpha, Section(kind: .bitsBack, payload: payload)].compactMap { $0 })
        var report = LosslessReport(fileBytes: bytes.count, dimensions: header.dimensions, images: images.count,
                                    initialBits: initialBits, idealBits: stats.idealBits,
                                    payloadBits: Double(payload.count * 8),
                                    networkSeconds: stats.networkSeconds, codingSeconds: stats.codingSeconds)
        report.bootstrapPatches = direct.count
        report.bootstrapBits = Double(seed.count * 8)
        report.containerBytes = bytes.count - payload.count
        return (bytes, report)
    }

    public func decode(_ bytes: [UInt8], progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws
        -> (images: [NamedImage], kind: SourceKind, header: DDPMHeader)
    {
        let (header, sections, damage) = try DDPMFile.decode(bytes)
        let p = try parameters(of: header)
        if let damage { throw damage }
        let alpha = try AlphaPlanes.planes(sections, entries: header.images)
        guard p.mode == .lossless, let section = sections.first(where: { $0.kind == .bitsBack }) else {
            throw FormatError.malformed("no lossless (bits-back) section")
        }
        var tail = try LosslessTail(model: model, parameters: p)
        tail.bootstrapped = (p.bootstrap ?? 0) > 0
        let shapes = Patches.shapes(header.images, model: model)
        var stats = ChainStatistics()
        let m = p.bootstrap ?? 0
        guard m < shapes.count else { throw FormatError.malformed("the bootstrap claims \(m) of \(shapes.count) patches") }
        let total = tail.work(patches: shapes.count - m, top: nil)
        let (chained, seed, origin) = try tail.decode(shapes: Array(shapes[m...]), payload: section.payload,
                                                      initialDataBytes: p.bootstrapBytes, statistics: &stats) { progress($0, total) }
        let direct = m == 0 ? [] : try Bootstrap(model: model, file: p, dimensions: shapes[..<m].reduce(0) { $0 + $1.dimensions })
            .decode(shapes: Array(shapes[..<m]), payload: seed)
        let images = try AlphaPlanes.attach(alpha, to: try Patches.images(direct + chained, entries: header.images, model: model))
        try Self.verify(images, origin: origin, seed: p.seed)
        return (images, header.sourceKind, header)
    }

    /// The end-to-end check of a lossless decode: the file's stack ended on the decoded pixels' digest.
    static func verify(_ images: [NamedImage], origin: UInt32, seed: UInt64) throws {
        try LosslessTail.checkOrigin(origin, expected: pixelDigest(images.map(\.image)), seed: seed)
    }

    /// The first four bytes of the SHA-256 of every pixel, over the colour and then the alpha plane
    /// of each image (a file without alpha: colour only), as the origin of the file's rANS stack
    /// (docs/DESIGN.md §6): a 2^-32 chance of missing a wrong decode that every other check (the
    /// stream's end, the CRCs) also missed, and no byte of the file, since every coded stack ends
    /// holding its origin's 32 bits anyway.
    static func pixelDigest(_ images: [Image]) -> UInt32 {
        var all: [UInt8] = []
        for im in images { all += im.pixels; all += im.alpha ?? [] }
        return Checksums.sha256(all).prefix(4).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
    }
}
