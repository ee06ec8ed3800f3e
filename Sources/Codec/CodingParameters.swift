import Diffusion

/// Every choice a .ddpm file's coding makes besides the model: the library's defaults, the
/// ranges a value may take, and how each is recorded in the header (docs/DESIGN.md §6). Both
/// codecs and the CLI go through this one type.
public struct CodingParameters: Equatable, Sendable {
    public enum Mode: String, Sendable {
        /// Bits-back ANS over the whole chain (LosslessCodec).
        case lossless
        /// Reverse channel coding of x_K ... x_T*, optionally a lossless tail below T* (ProgressiveCodec).
        case progressive
    }

    public var mode: Mode
    /// Chain length after respacing; nil: `defaultSteps`, or the whole schedule when it is shorter.
    public var steps: Int?
    /// Which timesteps a respaced chain keeps (TimestepSpacing). Lossless: quadratic, dense at low t
    /// where the bits are (100 steps cost 0.006 bits/dim over the full chain on Fashion-MNIST,
    /// docs/BENCHMARKS.md). Progressive: even; measured on 20 Fashion-MNIST images at 100 steps,
    /// quadratic lowers the theoretical rate (2.67 vs 2.73 bits/dim at step 1) but its many small
    /// low-t steps pay more side information, so the actual stream is larger (3.18 vs 3.04).
    public var spacing: TimestepSpacing
    /// Seed of the stack's virtual initial words and of the progressive candidates.
    public var seed: UInt64 = Self.defaultSeed
    public static let defaultSeed: UInt64 = 0x4444_504D_4300_0001
    /// Clip x̂0 for t >= 2 (nil: as the model's scheduler config says).
    public var clipDenoised: Bool?

    // The bits-back chain (lossless files and the lossless tail of progressive ones).

    /// δ_t = s_t / 2^gridBits (LatentCoder). More bits: less discretization loss, more initial bits
    /// (about 2 bits per dimension of the first group per grid bit). docs/BENCHMARKS.md has the sweep
    /// behind the default: no loss measurable above the sampling noise from 3 bits on.
    public var gridBits = 4
    /// Half-width of the coded window, in standard deviations.
    public var windowSigmas = 8.0
    /// The largest number of patches coded in lock-step (one batched network call per step).
    /// Groups start at one patch and grow by a quarter each (`groupRanges`).
    public var groupSize = 32

    // The progressive stream.

    /// KL budget of one chunk in bits: the encoder scores 2^(about this + slack) candidates per
    /// chunk, so time grows as 2^chunkBits while the per-chunk overheads shrink relative to it.
    public var chunkBits = 12
    /// Patches of a lossless file sent first by the direct route (or of a progressive file's tail,
    /// continued directly from x_T*), whose bits the chain then pops instead of borrowing initial
    /// bits (Bootstrap); nil: the encoder decides.
    public var bootstrap: Int?
    /// The bootstrap's bytes (recorded by the encoder; the decoder pops that many).
    public var bootstrapBytes = 0
    /// Index bits per chunk beyond its share of the step's KL (sample accuracy vs rate).
    public var slackBits = 0
    /// T*: below this step of the chain the bits-back chain codes x_0 exactly (nil: lossy only).
    public var losslessAfter: Int?

    /// The default chain length: 100 steps cost ~10× fewer network calls than T = 1000, for
    /// 0.006 ± 0.003 bits/dim more on Fashion-MNIST with quadratic spacing (docs/BENCHMARKS.md).
    public static let defaultSteps = 100

    public init(mode: Mode = .lossless) {
        self.mode = mode
        spacing = mode == .lossless ? .quadratic : .even
    }

    /// These parameters with the chain a caller gets who names no spacing: a file that ends exact —
    /// lossless, or progressive with a lossless tail — codes the model's own chain when the model
    /// ships one (ModelChain; `steps` absent or its length), else the mode's spacing. A lossy
    /// progressive stream keeps even spacing: its previews are its point, and each step's side
    /// information weighs on them. With a tail the total is the point: astronaut 128, photo32,
    /// `--lossless-after 5`: 5.017 bits/dim with even 100 steps, 4.373 with the model's 40
    /// (docs/BENCHMARKS.md).
    public func withDefaultChain(of model: DiffusionModel) -> CodingParameters {
        var p = self
        if mode == .lossless || losslessAfter != nil, let chain = model.chain, steps == nil || steps == chain.steps {
            p.spacing = .model
            p.steps = chain.steps
        }
        return p
    }

    /// The three ways a file codes, each with its own defaults, so that a header stores only what
    /// differs from them (docs/DESIGN.md §6).
    public enum Form: UInt8, Sendable {
        /// Bits-back over the whole chain.
        case lossless = 0
        /// A progressive stream, lossy or with a bits-back tail below T* > 1.
        case progressive = 1
        /// The direct route: the stream down to x_1 and x_0 under the decoder (T* = 1).
        case direct = 2

        /// The form of a header's parameter fields.
        public init(fields: [UInt8: Double]) {
            guard fields[HeaderKey.chunkBits.rawValue] != nil else { self = .lossless; return }
            self = fields[HeaderKey.losslessAfter.rawValue] == 1 ? .direct : .progressive
        }
    }

    public var form: Form { mode == .lossless ? .lossless : losslessAfter == 1 ? .direct : .progressive }

    /// The direct route's defaults: T* = 1, quadratic spacing (its cost is a lossless total, and
    /// dense low-t steps pay for themselves), 50 steps and 16-bit chunks. On the first ten
    /// Fashion-MNIST test images, one file each: 100 steps 4.07 bits/dim, 50 steps 3.99, 30 steps
    /// 4.18, 50 steps with 16-bit chunks 3.85 (every step's side information and every chunk's
    /// rounding weigh on a small file; docs/BENCHMARKS.md).
    public static func direct() -> CodingParameters {
        var p = CodingParameters(mode: .progressive)
        p.losslessAfter = 1
        p.spacing = .quadratic
        p.chunkBits = directChunkBits
        return p
    }

    /// The direct route's parameters for `dimensions` sub-pixels, following a file's chain
    /// choices (steps, spacing, seed, clipping; `steps` when the file leaves them to the default)
    /// except the model's own chain: that chain is the best for the bound, but the direct route
    /// pays side information and chunk rounding on every step, and on the first ten Fashion-MNIST
    /// test images, one file each, fmnist28's 40-step chain took 3,839 bytes and its 50-step
    /// chain 3,879 where 50 quadratic steps took 3,754 (docs/BENCHMARKS.md). So the direct route keeps
    /// its own 50 quadratic steps.
    public static func direct(following p: CodingParameters, dimensions: Int, steps: Int) -> CodingParameters {
        var d = direct()
        if p.spacing == .model {
            d.steps = directSteps
        } else {
            d.spacing = p.spacing
            d.steps = p.steps ?? steps
        }
        d.seed = p.seed
        d.clipDenoised = p.clipDenoised
        d.chunkBits = directChunkBits(dimensions: dimensions)
        return d
    }

    public static let directSteps = 50
    public static let directChunkBits = 16

    /// The direct route's chunk budget for an input of `dimensions` sub-pixels: 16 bits down to 12
    /// as the input grows, so that a step scores about 2^26 candidate values (the encoder's time;
    /// a 64×64 RGB crop takes 11 s at 12 bits and 69 s at 16 bits on two cores, for 4.67 against
    /// 4.51 bits/dim).
    public static func directChunkBits(dimensions: Int) -> Int {
        var bits = 26
        var d = max(dimensions, 1) - 1
        while d > 0 { bits -= 1; d >>= 1 }
        return Swift.min(directChunkBits, Swift.max(Limits.chunkBits.lowerBound + 11, bits))
    }

    /// The defaults of a form.
    public static func defaults(_ form: Form) -> CodingParameters {
        switch form {
        case .lossless: return CodingParameters(mode: .lossless)
        case .progressive: return CodingParameters(mode: .progressive)
        case .direct: return direct()
        }
    }

    /// The header fields of a form's defaults (a header stores the fields that differ from these).
    public static func defaultFields(_ form: Form) -> [UInt8: Double] {
        // x̂_0 clipped as every bundled model's scheduler asks (clip_sample): a header stores it only otherwise.
        var d = defaults(form)
        d.clipDenoised = true
        return d.headerFields(initialBits: nil)
    }

    /// The chain length a header of this form need not store (HeaderKey.steps).
    public static func defaultSteps(_ form: Form) -> Int {
        form == .direct ? directSteps : defaultSteps
    }

    /// The ranges every parameter must lie in.
    public enum Limits {
        public static let gridBits = 1...20
        public static let windowSigmas = 0.5...64.0
        public static let groupSize = 1...1_000_000
        public static let chunkBits = 1...20
        public static let slackBits = 0...4
        public static let bootstrap = 0...(1 << 20)
        public static let bootstrapBytes = 0...(1 << 31)
    }

    /// The chain length these parameters code over a model trained with `trainTimesteps` steps.
    public func chainLength(trainTimesteps: Int) -> Int {
        steps ?? Swift.min(Self.defaultSteps, trainTimesteps)
    }

    /// Checks every value against its range and the chain; the message names the parameter.
    public func validate(trainTimesteps: Int) throws(CodingParameterError) {
        guard trainTimesteps >= 1 else {
            throw .outOfRange(name: "model's timestep count", value: "\(trainTimesteps)", range: "1 or more")
        }
        if let steps, !(1...trainTimesteps).contains(steps) {
            throw .outOfRange(name: "chain length (steps)", value: "\(steps)", range: "1...\(trainTimesteps)")
        }
        if spacing == .model, steps == nil {
            throw .outOfRange(name: "chain length (steps)", value: "none", range: "the length of the model's own chain")
        }
        guard Limits.gridBits.contains(gridBits) else {
            throw .outOfRange(name: "grid bits", value: "\(gridBits)", range: "\(Limits.gridBits)")
        }
        guard Limits.windowSigmas.contains(windowSigmas) else {
            throw .outOfRange(name: "window half-width (sigmas)", value: "\(windowSigmas)", range: "\(Limits.windowSigmas)")
        }
        guard Limits.groupSize.contains(groupSize) else {
            throw .outOfRange(name: "group size", value: "\(groupSize)", range: "\(Limits.groupSize)")
        }
        // The bootstrap (a lossless file's, or a progressive file's tail): checked before the progressive-only fields.
        if let bootstrap, !Limits.bootstrap.contains(bootstrap) {
            throw .outOfRange(name: "bootstrap patches", value: "\(bootstrap)", range: "\(Limits.bootstrap)")
        }
        guard Limits.bootstrapBytes.contains(bootstrapBytes) else {
            throw .outOfRange(name: "bootstrap bytes", value: "\(bootstrapBytes)", range: "\(Limits.bootstrapBytes)")
        }
        guard mode == .progressive else {
            if losslessAfter != nil { throw .notApplicable(name: "lossless tail start (T*)", mode: mode) }
            return
        }
        guard Limits.chunkBits.contains(chunkBits) else {
            throw .outOfRange(name: "chunk bits", value: "\(chunkBits)", range: "\(Limits.chunkBits)")
        }
        guard Limits.slackBits.contains(slackBits) else {
            throw .outOfRange(name: "slack bits", value: "\(slackBits)", range: "\(Limits.slackBits)")
        }
        let k = chainLength(trainTimesteps: trainTimesteps)
        if let t = losslessAfter, !(1...k).contains(t) {
            throw .outOfRange(name: "lossless tail start (T*)", value: "\(t)", range: "1...\(k), a step of the chain")
        }
    }

    /// Header keys of the parameters (DDPMHeader.parameters). Files store the numbers; these names
    /// are what a reader and an error message use.
    public enum HeaderKey: UInt8, CaseIterable, Sendable {
        case gridBits = 1, windowSigmas = 2, groupSize = 3, clipDenoised = 4
        /// The initial bits the encoder measured (informational: `ddpmc info`).
        case initialBits = 5
        /// TimestepSpacing.code; absent in files from before the field (even spacing).
        case spacing = 6
        case chunkBits = 10, slackBits = 11, losslessAfter = 12
        /// Bootstrap patches and bytes (lossless files; absent: none).
        case bootstrap = 13, bootstrapBytes = 14
        /// The chain's length after respacing (DDPMHeader.steps), stored when it differs from the
        /// form's default (`defaultFields`).
        case steps = 15

        public var name: String {
            switch self {
            case .gridBits: return "grid bits"
            case .windowSigmas: return "window half-width"
            case .groupSize: return "group size"
            case .clipDenoised: return "x̂0 clipping"
            case .initialBits: return "initial bits"
            case .spacing: return "timestep spacing"
            case .chunkBits: return "chunk bits"
            case .slackBits: return "slack bits"
            case .losslessAfter: return "lossless tail start"
            case .bootstrap: return "bootstrap patches"
            case .bootstrapBytes: return "bootstrap bytes"
            case .steps: return "chain length"
            }
        }
    }

    /// Whether the file's bits-back chain is present: a lossless file, or a progressive one with a tail.
    public var hasBitsBackChain: Bool { mode == .lossless || losslessAfter != nil }

    /// The header fields of these parameters; `clipDenoised` must be resolved (the model's).
    public func headerFields(initialBits: Double?) -> [UInt8: Double] {
        var f: [UInt8: Double] = [HeaderKey.spacing.rawValue: Double(spacing.code)]
        if mode == .progressive {
            f[HeaderKey.chunkBits.rawValue] = Double(chunkBits)
            f[HeaderKey.slackBits.rawValue] = Double(slackBits)
            f[HeaderKey.losslessAfter.rawValue] = Double(losslessAfter ?? 0)
        }
        if hasBitsBackChain {
            f[HeaderKey.gridBits.rawValue] = Double(gridBits)
            f[HeaderKey.windowSigmas.rawValue] = windowSigmas
            f[HeaderKey.groupSize.rawValue] = Double(groupSize)
            f[HeaderKey.clipDenoised.rawValue] = clipDenoised == true ? 1 : 0
            // Whole bits (rounded up) store in a varint of two or three bytes.
            if let initialBits, initialBits > 0 { f[HeaderKey.initialBits.rawValue] = initialBits.rounded(.up) }
            if let bootstrap, bootstrap > 0 {
                f[HeaderKey.bootstrap.rawValue] = Double(bootstrap)
                if bootstrapBytes > 0 { f[HeaderKey.bootstrapBytes.rawValue] = Double(bootstrapBytes) }
            }
        }
        return f
    }

    /// The parameters a header records (mode from its fields), each checked against its range.
    public init(header: DDPMHeader) throws(FormatError) {
        func value(_ k: HeaderKey) throws(FormatError) -> Double? {
            guard let v = header.parameters[k.rawValue] else { return nil }
            guard v.isFinite, v >= 0, v == v.rounded() || k == .windowSigmas || k == .initialBits, v < 0x1p53 else {
                throw .malformed("the \(k.name) in the header is \(v)")
            }
            return v
        }
        func required(_ k: HeaderKey) throws(FormatError) -> Double {
            guard let v = try value(k) else { throw .malformed("the header lacks the \(k.name)") }
            return v
        }
        self.init(mode: try value(.chunkBits) != nil ? .progressive : .lossless)
        steps = header.steps
        seed = header.seed
        let code = try required(.spacing)
        guard let s = TimestepSpacing(code: Int(code)) else { throw .malformed("unknown timestep spacing code \(code)") }
        spacing = s
        if mode == .progressive {
            chunkBits = Int(try required(.chunkBits))
            slackBits = Int(try required(.slackBits))
            let t = Int(try required(.losslessAfter))
            losslessAfter = t == 0 ? nil : t
        }
        if hasBitsBackChain {
            gridBits = Int(try required(.gridBits))
            windowSigmas = try required(.windowSigmas)
            groupSize = Int(try required(.groupSize))
            clipDenoised = try required(.clipDenoised) != 0
        }
        if hasBitsBackChain {
            bootstrap = try value(.bootstrap).map { Int($0) }
            bootstrapBytes = Int(try value(.bootstrapBytes) ?? 0)
        }
        do {
            // A header read from a file does not know the model's timesteps (0): the codec checks
            // them against its model.
            try validate(trainTimesteps: header.trainTimesteps > 0 ? header.trainTimesteps : max(header.steps, 1))
        } catch {
            throw .malformed(error.description)
        }
    }

    /// Consecutive ranges of the `count` patches coded as one group each.
    ///
    /// A group borrows about (initial bits per dimension) × (its dimensions) from the stack while
    /// its chain runs and returns it at the end. Only what earlier groups left on the stack can be
    /// lent for free, so groups start at one patch and grow by a quarter at a time: the first
    /// patch pays the initial bits and later, larger groups mostly live on the bits before them.
    ///
    /// A bootstrapped chain (Bootstrap) starts on the direct route's bits, about one patch's
    /// initial bits, and must not borrow more: a group of k patches borrows about k times a
    /// patch's initial bits, while every patch coded leaves its net bits (a fifth to a third of
    /// its initial bits, measured on Fashion-MNIST and photo patches) for the next. So its groups
    /// are 1 + ⌊(patches before) / 5⌋.
    public static func groupRanges(count: Int, maximum: Int, bootstrapped: Bool = false) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0, size = 1
        while start < count {
            let end = min(count, start + size)
            ranges.append(start..<end)
            start = end
            size = min(max(1, maximum), bootstrapped ? 1 + start / 5 : size + max(1, size / 4))
        }
        return ranges
    }
}

/// A coding parameter that cannot be used.
public enum CodingParameterError: Error, CustomStringConvertible, Equatable, Sendable {
    case outOfRange(name: String, value: String, range: String)
    case notApplicable(name: String, mode: CodingParameters.Mode)

    public var description: String {
        switch self {
        case let .outOfRange(name, value, range): return "the \(name) must be in \(range), got \(value)"
        case let .notApplicable(name, mode): return "the \(name) does not apply to \(mode.rawValue) coding"
        }
    }
}

/// How much a file may ask of a decoder, checked against its header before any allocation or
/// network call (docs/DESIGN.md §6). The defaults take any image this codec can code in
/// reasonable time; a caller with more memory may raise them.
public struct DecodeLimits: Equatable, Sendable {
    /// Sub-pixels over all images: 2^26 (a 4,730² RGB photo) needs a few GB of working memory.
    public var subPixels = 1 << 26
    /// Images in one file (Fashion-MNIST's whole training set is 60,000).
    public var images = 1 << 20
    public init() {}

    func check(_ header: DDPMHeader) throws(FormatError) {
        guard header.images.count <= images else {
            throw .malformed("it claims \(header.images.count) images, more than the limit of \(images)")
        }
        var total = 0
        for e in header.images {
            let (area, o1) = e.width.multipliedReportingOverflow(by: e.height)
            let (dims, o2) = area.multipliedReportingOverflow(by: e.channels)
            let (sum, o3) = total.addingReportingOverflow(dims)
            guard !o1, !o2, !o3, sum <= subPixels else {
                throw .malformed("its images hold more than the limit of \(subPixels) sub-pixels")
            }
            total = sum
        }
    }
}
