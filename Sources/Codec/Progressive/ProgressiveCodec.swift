import Diffusion
import EntropyCoding
import Foundation
import ImageIO

/// One step of an encode, for rate–distortion accounting.
public struct ProgressiveStepRecord: Sendable {
    public let step: Int
    /// Σ over images of KL(q‖p) at this step (L_T at the top step), bits.
    public let klBits: Double
    /// End of the step in the progressive stream, bits.
    public let bitEnd: Int
}

public struct ProgressiveEncodeResult: Sendable {
    public var bytes: [UInt8]
    public var records: [ProgressiveStepRecord]
    public var dimensions: Int
    /// Bytes before the progressive stream (container header and section header).
    public var headerBytes: Int
    public var progressiveBytes: Int
    public var losslessBytes: Int
    public var initialBits: Double
    public var seconds: Double
    /// Patches of the lossless tail that continued directly from x_T* (their bits carry the tail's chain).
    public var tailBootstrapPatches = 0
}

public struct ProgressiveDecodeResult: Sendable {
    public var images: [NamedImage]
    public var kind: SourceKind
    /// The step the progressive stream reached (the chain's numbering), nil when exact.
    public var reachedStep: Int?
    public var exact: Bool
    /// Bits of the file the result rests on (the container header included), and the file's total.
    public var bitsUsed: Int
    public var fileBits: Int
    public var steps: Int
    public var damage: String?
    /// Bits before the progressive stream (container header and section header): `bitsUsed` less
    /// these is the stream alone, as the encoder reports it.
    public var headerBits = 0
}

/// Images ⇄ progressive .ddpm files: reverse channel coding of x_K ... x_T* and, optionally,
/// the bits-back chain for x_0 given x_T*.
public struct ProgressiveCodec: Sendable {
    public var lossless: LosslessCodec
    public var model: DiffusionModel { lossless.model }

    public init(model: DiffusionModel) throws {
        lossless = try LosslessCodec(model: model)
    }

    /// The progressive codec of a model whose lossless codec (and identity) is already built.
    public init(codec: LosslessCodec) {
        lossless = codec
    }

    /// The network over the chain of `parameters`.
    public func network(_ p: CodingParameters) throws -> PatchNetwork {
        PatchNetwork(model: model, process: try model.reverseProcess(steps: p.chainLength(trainTimesteps: model.schedule.count),
                                                                     spacing: p.spacing, clipDenoised: p.clipDenoised))
    }

    /// Encodes; `observe` sees every step's state with the patches of all images.
    public func encode(_ images: [NamedImage], kind: SourceKind, parameters: CodingParameters = CodingParameters(mode: .progressive),
                       progress: (_ done: Int, _ total: Int) -> Void = { _, _ in },
                       observe: (ProgressiveCoder.StepState) throws -> Void = { _ in }) throws -> ProgressiveEncodeResult {
        try lossless.checkImages(images)
        var p = parameters
        p.mode = .progressive
        p = try lossless.resolved(p)
        let start = ContinuousClock.now
        let net = try network(p)
        let k = net.process.schedule.count
        let lastStep = p.losslessAfter ?? 1
        var coder = ProgressiveCoder(network: net, seed: p.seed, chunkBits: p.chunkBits, slackBits: p.slackBits, lastStep: lastStep)
        // A file that ends exact is judged by its total alone, so its latents need not look like samples.
        if p.losslessAfter != nil { coder.choice = .likeliest }
        let items = lossless.items(images)
        let tail = try p.losslessAfter.map { _ in try LosslessTail(model: model, parameters: p) }
        let total = k - lastStep + 1 + (tail?.work(patches: items.count, top: p.losslessAfter) ?? 0)
        var records: [ProgressiveStepRecord] = []
        let (stream, final) = try coder.encode(items) { state in
            records.append(ProgressiveStepRecord(step: state.step, klBits: state.klBits ?? 0, bitEnd: state.bitEnd))
            progress(records.count, total)
            try observe(state)
        }
        var section = stream
        var tailSection: [UInt8]?
        var initialBits: Double?
        var tailBootstrap = 0
        if var tail, let tStar = p.losslessAfter {
            var stats = ChainStatistics()
            let done = records.count
            let digest = LosslessCodec.pixelDigest(images.map(\.image))
            // The tail's bootstrap (Bootstrap, docs/DESIGN.md §5): the first m patches continue directly
            // from x_T* and their bits are the initial message of the others' chain. Below T* = 2 the
            // chain pops nothing: every patch continues directly, to the decoder step alone.
            // Patches the direct route cannot carry (far from the model) keep the chain: bits-back codes anything.
            // A continuation of every patch is the file's only stack, so it starts from the pixel digest.
            func direct(_ m: Int) throws -> [UInt8] {
                m == 0 ? [] : try Bootstrap(model: model, continuing: p, dimensions: items[..<m].reduce(0) { $0 + $1.pixels.count })
                    .encode(Array(items[..<m]), start: final.items(0..<m), origin: m == items.count ? digest : nil)
            }
            var m = 0, seed: [UInt8] = []
            if tStar == 1 {
                m = items.count
                seed = try direct(m)
            } else if let forced = p.bootstrap {
                m = min(forced, items.count)
                seed = try direct(m)
            } else {
                do {
                    (m, seed) = try Bootstrap.choose(estimate: try Bootstrap.count(tail: items, start: final, model: model, file: p),
                                                     encode: direct) { j in
                        var stats = ChainStatistics()
                        return try tail.encode([items[j]], top: tStar, topValues: [final.values[j]], statistics: &stats) { _ in }
                            .initialBits
                    }
                } catch ProgressiveError.chunkTooLarge {
                    (m, seed) = (0, [])
                }
            }
            tail.bootstrapped = m > 0
            if m == items.count {
                // All direct: the continuation follows the stream in its section (its decoder finds
                // where the stream ends), with no section, length or count of its own.
                section += seed
                initialBits = 0
                tailSection = []
            } else {
                let (payload, bits) = try tail.encode(Array(items[m...]), top: tStar, topValues: Array(final.values[m...]),
                                                      initialData: seed, origin: digest, statistics: &stats) { progress(done + $0, total) }
                tailSection = payload
                initialBits = bits
                p.bootstrapBytes = seed.count
            }
            p.bootstrap = tStar == 1 ? nil : m
            tailBootstrap = m
        }
        let sections = [AlphaPlanes.section(images.map(\.image)), Section(kind: .progressive, payload: section),
                        tailSection.flatMap { $0.isEmpty ? nil : Section(kind: .bitsBack, payload: $0) }].compactMap { $0 }
        let header = lossless.header(images, kind: kind, parameters: p, initialBits: initialBits)
        let bytes = DDPMFile.encode(header: header, sections: sections)
        let headerBytes = try DDPMFile.payloadOffset(bytes, of: .progressive) ?? bytes.count
        return ProgressiveEncodeResult(
            bytes: bytes, records: records, dimensions: header.dimensions, headerBytes: headerBytes,
            progressiveBytes: stream.count, losslessBytes: section.count - stream.count + (tailSection?.count ?? 0),
            initialBits: initialBits ?? 0, seconds: (ContinuousClock.now - start).seconds, tailBootstrapPatches: tailBootstrap)
    }

    /// The steps a decode of this file may stop after: T* (or 1) up to the chain's length.
    public static func stoppableSteps(_ p: CodingParameters, header: DDPMHeader) -> ClosedRange<Int> {
        max(1, p.losslessAfter ?? 1)...header.steps
    }

    /// Decodes a whole file or any prefix of one. Stops after `stopStep` when given; without
    /// it, a file with a complete lossless section decodes exactly.
    /// `frame` sees x̂0 of every complete step as images.
    public func decode(_ bytes: [UInt8], stopStep: Int? = nil, reconstruction: Reconstruction = .xhat,
                       progress: (_ done: Int, _ total: Int) -> Void = { _, _ in },
                       frame: (_ step: Int, _ images: [NamedImage]) throws -> Void = { _, _ in }) throws -> ProgressiveDecodeResult {
        let (header, sections, partial, damage) = try DDPMFile.decodePrefix(bytes)
        let p = try lossless.parameters(of: header)
        let stream = try Self.stream(p, sections: sections, partial: partial, damage: damage, bytes: bytes.count)
        let alpha = try AlphaPlanes.planes(sections, entries: header.images)
        if let stopStep, !Self.stoppableSteps(p, header: header).contains(stopStep) {
            throw ProgressiveError.badParameter("the stop step must be in \(Self.stoppableSteps(p, header: header)) for this file")
        }
        let net = try network(p)
        let tStar = p.losslessAfter
        let coder = ProgressiveCoder(network: net, seed: header.seed, chunkBits: p.chunkBits, slackBits: p.slackBits,
                                     lastStep: tStar ?? 1)
        let shapes = Patches.shapes(header.images, model: model)
        let streamStart = (try DDPMFile.payloadOffset(bytes, of: .progressive) ?? bytes.count) * 8
        var reader = BitReader(bytes: stream)
        let lastStep = max(tStar ?? 1, stopStep ?? 1)
        let total = header.steps - lastStep + 1
        var done = 0
        func toImages(_ planes: [[Double]]) throws -> [NamedImage] {
            try AlphaPlanes.attach(alpha, to: try Patches.images(planes.map(Patches.pixels), entries: header.images, model: model))
        }
        guard let state = try coder.decode(shapes: shapes, from: &reader, stopStep: stopStep, observe: { state in
            done += 1
            progress(done, total)
            try frame(state.step, try toImages(Reconstruction.xhat.run(network: net, shapes: shapes, state: state, seed: header.seed)))
        }) else {
            throw ProgressiveError.nothingDecodable(bytes: bytes.count)
        }
        var damageText = damage.map { "\($0)" }
        // The tail's patches that continue directly from x_T* (all of them below T* = 2): when that is
        // every patch, the continuation follows the stream in its section, else a bits-back section holds the rest.
        let m = tStar == 1 ? shapes.count : p.bootstrap ?? 0
        guard m <= shapes.count else { throw FormatError.malformed("the tail's bootstrap claims \(m) of \(shapes.count) patches") }
        let tailInStream = tStar != nil && m == shapes.count
        let complete = sections.contains { $0.kind == .progressive }
        if let tStar, state.step == tStar, damageText == nil, !tailInStream, !sections.contains(where: { $0.kind == .bitsBack }) {
            damageText = "the lossless section is missing (the file was cut short after the progressive stream)"
        }
        // The lossless tail, when the whole file is here and nothing asked to stop early.
        if let tStar, state.step == tStar, stopStep == nil, tailInStream ? complete : sections.contains(where: { $0.kind == .bitsBack }) {
            var tail = try LosslessTail(model: model, parameters: p)
            tail.bootstrapped = m > 0
            var stats = ChainStatistics()
            var chained: [[UInt8]] = [], seed: [UInt8], origin: UInt32?
            if tailInStream {
                seed = Array(stream[min(stream.count, (reader.position + 7) / 8)...])
            } else {
                let section = sections.first { $0.kind == .bitsBack }!
                let r = try tail.decode(shapes: Array(shapes[m...]), payload: section.payload, top: tStar,
                                        topValues: Array(state.values[m...]), initialDataBytes: p.bootstrapBytes,
                                        statistics: &stats) { _ in }
                (chained, seed, origin) = (r.pixels, r.initialData, r.origin)
            }
            var direct: [[UInt8]] = []
            if m > 0 {
                let continuation = Bootstrap(model: model, continuing: p, dimensions: shapes[..<m].reduce(0) { $0 + $1.dimensions })
                if tailInStream {
                    (direct, origin) = try continuation.decodeEndingOrigin(shapes: shapes, payload: seed, start: state.items(0..<m))
                } else {
                    direct = try continuation.decode(shapes: Array(shapes[..<m]), payload: seed, start: state.items(0..<m))
                }
            }
            guard let origin else { throw FormatError.malformed("the lossless tail codes no patch") }
            let images = try AlphaPlanes.attach(alpha, to: try Patches.images(direct + chained, entries: header.images, model: model))
            try LosslessCodec.verify(images, origin: origin, seed: header.seed)
            return ProgressiveDecodeResult(images: images, kind: header.sourceKind, reachedStep: nil, exact: true,
                                           bitsUsed: bytes.count * 8, fileBits: bytes.count * 8, steps: header.steps, damage: damageText)
        }
        let planes = reconstruction.run(network: net, shapes: shapes, state: state, seed: header.seed)
        return ProgressiveDecodeResult(images: try toImages(planes), kind: header.sourceKind, reachedStep: state.step,
                                       exact: false, bitsUsed: streamStart + state.bitEnd, fileBits: bytes.count * 8,
                                       steps: header.steps, damage: damageText, headerBits: streamStart)
    }

    /// The progressive section's bytes: complete, or the received part of a file cut short.
    static func stream(_ p: CodingParameters, sections: [Section], partial: Section?, damage: FormatError?,
                       bytes: Int) throws -> [UInt8] {
        if let s = sections.first(where: { $0.kind == .progressive }) { return s.payload }
        if let partial, partial.kind == .progressive, sections.allSatisfy({ $0.kind == .alpha }) { return partial.payload }
        // A stream that is there but corrupt is reported as such, not as a short file.
        if let damage, case .corrupted = damage { throw damage }
        if p.mode == .progressive { throw ProgressiveError.nothingDecodable(bytes: bytes) }
        if let damage, sections.allSatisfy({ $0.kind == .alpha }) { throw damage }
        throw FormatError.malformed("no progressive section (a lossless-only file: decode it whole)")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
