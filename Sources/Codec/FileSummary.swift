/// What a .ddpm file is and holds, read from its header and sections without a model: the
/// answer to "lossless or progressive?" for a decoder and the content of `ddpmc info`.
public struct FileSummary: Sendable {
    public let fileBytes: Int
    public let header: DDPMHeader
    /// The coding parameters the header records (nil when they are unreadable: `parameterError`).
    public let parameters: CodingParameters?
    public let parameterError: String?
    /// Complete, intact sections, and a section cut short by the end of the bytes.
    public let sections: [Section]
    public let partial: Section?
    /// What stopped the reading of the sections, if anything.
    public let damage: FormatError?

    public init(bytes: [UInt8]) throws(FormatError) {
        let r = try DDPMFile.decodePrefix(bytes)
        fileBytes = bytes.count
        header = r.header
        sections = r.sections
        partial = r.partial
        damage = r.damage
        do {
            parameters = try CodingParameters(header: r.header)
            parameterError = nil
        } catch {
            parameters = nil
            parameterError = error.description
        }
    }

    /// A progressive file: its header says so, or it holds a progressive stream.
    public var isProgressive: Bool {
        parameters?.mode == .progressive || sections.contains { $0.kind == .progressive } || partial?.kind == .progressive
    }

    /// Whether the file carries alpha planes (AlphaPlanes): then it decodes to gray+alpha or RGBA PNGs.
    public var hasAlpha: Bool { sections.contains { $0.kind == .alpha } || partial?.kind == .alpha }

    /// How the file codes its images: "bits-back" (a lossless file), "direct" (reverse channel coding down to
    /// x_1 and x_0 under the decoder: a progressive file with its tail at T* = 1), "progressive + bits-back" (a
    /// tail from T* > 1), or "progressive" (lossy).
    public var route: String {
        guard isProgressive else { return "bits-back" }
        switch parameters?.losslessAfter {
        case 1: return "direct"
        case .some: return "progressive + bits-back"
        case nil: return "progressive"
        }
    }

    public var dimensions: Int { header.dimensions }
    public var bitsPerDim: Double { Double(fileBytes * 8) / Double(max(dimensions, 1)) }
    /// The bits the encoder measured before anything was on its stack (bits-back chains).
    public var initialBits: Double? {
        header.parameters[CodingParameters.HeaderKey.initialBits.rawValue] ?? (parameters?.hasBitsBackChain == true ? 0 : nil)
    }
    public var netBitsPerDim: Double? {
        initialBits.map { (Double(fileBytes * 8) - $0) / Double(max(dimensions, 1)) }
    }
    public var payloadBytes: Int { sections.reduce(0) { $0 + $1.payload.count } }
    /// Bytes before the first section's payload: the container header and the section's header.
    public var containerBytes: Int { fileBytes - payloadBytes }

    /// The file's description as `ddpmc info --json` prints it (JSON-safe values only).
    public var fields: [String: Any] {
        var o: [String: Any] = [
            "bytes": fileBytes, "images": header.images.count, "dims": dimensions, "bits_per_dim": bitsPerDim,
            "model_identity": Checksums.hex(header.modelDigest), "steps": header.steps, "container_bytes": containerBytes,
            "mode": isProgressive ? "progressive" : "lossless", "route": route,
            "sections": sections.map { ["kind": "\($0.kind)", "bytes": $0.payload.count] }, "payload_bytes": payloadBytes,
            "alpha": hasAlpha,
        ]
        if let p = parameters {
            o["spacing"] = p.spacing.rawValue
            if p.hasBitsBackChain {
                o["grid_bits"] = p.gridBits; o["group_size"] = p.groupSize
                o["bootstrap_patches"] = p.bootstrap ?? 0; o["bootstrap_bytes"] = p.bootstrapBytes
            }
            if p.mode == .progressive {
                o["chunk_bits"] = p.chunkBits
                o["slack_bits"] = p.slackBits
                o["lossless_after"] = p.losslessAfter ?? 0
            }
        }
        if let e = parameterError { o["parameter_error"] = e }
        if let initialBits, initialBits.isFinite, let net = netBitsPerDim {
            o["initial_bits"] = initialBits
            o["net_bits_per_dim"] = net
        }
        if let damage { o["damage"] = damage.description }
        return o
    }

    /// The same as lines of text (`ddpmc info`).
    public var lines: [String] {
        let h = header
        var out: [String] = []
        out.append("model:       identity \(Checksums.hex(h.modelDigest))")
        let shown = h.images.prefix(3).map { "\($0.name) \($0.width)×\($0.height)×\($0.channels)" }.joined(separator: ", ")
        out.append("images:      \(h.images.count), \(dimensions) sub-pixels, \(shown)\(h.images.count > 3 ? ", …" : "")")
        let spacing = parameters.map { $0.spacing == .model ? ", the model's own chain" : ", \($0.spacing.rawValue) spacing" } ?? ""
        out.append("chain:       \(h.steps) steps\(spacing)")
        out.append(String(format: "rate:        %.4f bits/dim (%@; container %d bytes)", bitsPerDim, route, containerBytes))
        if let initialBits, initialBits.isFinite, let net = netBitsPerDim {
            out.append(String(format: "initial:     %.0f bits; %.4f bits/dim without them", initialBits, net))
        }
        if let p = parameters, p.mode == .progressive {
            let tail = p.losslessAfter.map { "lossless below step \($0)" } ?? "lossy (to x̂0 of step 1)"
            out.append("progressive: chunk budget \(p.chunkBits) bits, \(tail)")
        }
        if let p = parameters, let m = p.bootstrap, m > 0 {
            let how = p.mode == .progressive ? "continue directly from the stream's last step" : "go by the direct route"
            out.append("bootstrap:   the first \(m) patch(es) \(how), \(p.bootstrapBytes) bytes under the chain")
        }
        if let e = parameterError { out.append("parameters:  unreadable (\(e))") }
        for s in sections { out.append("section:     \(s.kind), \(s.payload.count) bytes") }
        if let damage { out.append("damage:      \(damage)") }
        return out
    }
}
