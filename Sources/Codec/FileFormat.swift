import ImageIO

/// Errors reading a .ddpm file. The decoder never crashes on a damaged file: it reports what
/// is wrong (and, for progressive streams, decodes what is complete).
public enum FormatError: Error, CustomStringConvertible, Equatable {
    case notDDPM
    case unsupportedVersion(UInt16)
    case truncated(what: String, needed: Int, have: Int)
    case corrupted(what: String)
    case malformed(String)
    case modelMismatch(file: String, model: String, differing: [String])

    public var description: String {
        switch self {
        case .notDDPM: return "not a .ddpm file (wrong magic bytes)"
        case let .unsupportedVersion(v) where (2..<UInt16(DDPMFile.version)).contains(v):
            return "format version \(v) (written by an older ddpmc) is not read by this ddpmc (version \(DDPMFile.version)); "
                + "encode the images again"
        case let .unsupportedVersion(v):
            return "format version \(v) is not supported by this ddpmc (it reads version \(DDPMFile.version))"
        case let .truncated(what, needed, have):
            return "the file is truncated: \(what.hasPrefix("section") ? "" : "the ")\(what) needs \(needed) bytes, the file has \(have)"
        case let .corrupted(what): return "the file is corrupted: the checksum of \(what.hasPrefix("section") ? "" : "the ")\(what) does not match"
        case let .malformed(why): return "malformed file: \(why)"
        case let .modelMismatch(file, model, differing):
            return "the file was coded with another model: its \(differing.joined(separator: ", ")) differ (SHA-256 identity "
                + "\(file) in the file, \(model) in the model given); decode with the model it was encoded with"
        }
    }
}

/// Geometry of one coded image.
public struct ImageEntry: Equatable, Sendable {
    public var name: String
    public var width: Int
    public var height: Int
    public var channels: Int
    public init(name: String, width: Int, height: Int, channels: Int) {
        self.name = name; self.width = width; self.height = height; self.channels = channels
    }
}

/// The header of a .ddpm file: everything a decoder needs besides the model and the bits.
///
/// The model digest is the first `digestLength` bytes of SHA-256s (ModelIdentity): enough to tell
/// models apart, and short, which matters for a single small image (a lossy 28×28 preview is a
/// few hundred bits). The end-to-end check of a lossless decode is not here but in its rANS
/// stack, which starts from the pixels' digest (`LosslessCodec.pixelDigest`).
public struct DDPMHeader: Equatable, Sendable {
    public static let digestLength = 4
    /// The model's identity (ModelIdentity.digest).
    public var modelDigest: [UInt8]
    /// The model's name, patch size and training steps: known to the encoder, not stored (the
    /// digest pins the model); "" and 0 in a header read from a file.
    public var modelName: String
    public var sourceKind: SourceKind
    public var images: [ImageEntry]
    public var patchHeight: Int
    public var patchWidth: Int
    /// Steps of the chain actually coded (after respacing), and the model's training steps.
    public var steps: Int
    public var trainTimesteps: Int
    /// Coding parameters, interpreted by the codec that wrote the section (see Codec docs).
    public var parameters: [UInt8: Double]
    public var seed: UInt64

    /// Digests longer than `digestLength` (a full SHA-256) are cut to it.
    public init(modelDigest: [UInt8], modelName: String, sourceKind: SourceKind, images: [ImageEntry],
                patchHeight: Int, patchWidth: Int, steps: Int, trainTimesteps: Int,
                parameters: [UInt8: Double], seed: UInt64) {
        self.modelDigest = Array(modelDigest.prefix(Self.digestLength)); self.modelName = modelName
        self.sourceKind = sourceKind
        self.images = images; self.patchHeight = patchHeight; self.patchWidth = patchWidth
        self.steps = steps; self.trainTimesteps = trainTimesteps; self.parameters = parameters
        self.seed = seed
    }

    /// Sub-pixels over all images.
    public var dimensions: Int { images.reduce(0) { $0 + $1.width * $1.height * $1.channels } }
}

/// A typed payload of the file; sections are read in order.
public struct Section: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case bitsBack = 1, progressive = 2, alpha = 3 }
    public var kind: Kind
    public var payload: [UInt8]
    public init(kind: Kind, payload: [UInt8]) { self.kind = kind; self.payload = payload }
}

/// The .ddpm container: magic and version, a checked header, then CRC-guarded sections.
///
///     "DDPM"  version:u8  header  headerCheck:u16                (a plain header)
///     "DDPM"  version|0x80:u8  length:varint  zstd(header)  headerCheck:u16
///     { kind:u8  length:varint  crc:u32  payload }*
///
/// headerCheck is the low half of the CRC-32 of every byte before it: a header is a few dozen
/// bytes, decoded only when the check holds, and what it describes is checked again by the
/// sections' CRC-32s and a lossless file's pixel digest, so 16 bits are sized for its job.
///
/// The zstd form is chosen when smaller (a folder of many image names); a plain header ends where
/// its fields do. The header is sized for a lone small image, where
/// every byte is a hundredth of a bit per dimension (docs/DESIGN.md §6):
///
///     flags:u8           bits 0–2 source kind (a folder's also says that names are stored),
///                        3 parameters stored, 4 one geometry for all images,
///                        5–6 form (CodingParameters.Form), 7 seed stored
///     model:4            ModelIdentity digest (the model's patch size and timesteps follow from it)
///     count:varint  geometry (width, height varints, channels u8; once when bit 4)  [names]
///     [n:u8 {key:u8 value}*]   parameters that differ from the form's defaults, the chain's
///                              length among them; varint values, f64 where the key's top bit is set
///     [seed:u64]
///
/// Names are stored only for folders, where they are the files' names; a file of one PNG or of a
/// data set names its images by position. A one-image file spends 16 bytes before its first section.
public enum DDPMFile {
    public static let magic: [UInt8] = Array("DDPM".utf8)
    /// 7: a 4-byte model identity (3 bytes of the weights' digest, one of the configs') and a
    /// 16-bit header check, six bytes less for every file (docs/DESIGN.md §6). Versions 2–6 are
    /// refused with a message that says so.
    public static let version: UInt8 = 7

    public static func encode(header: DDPMHeader, sections: [Section]) -> [UInt8] {
        let form = CodingParameters.Form(fields: header.parameters)
        var defaults = CodingParameters.defaultFields(form)
        defaults[CodingParameters.HeaderKey.steps.rawValue] = Double(CodingParameters.defaultSteps(form))
        var fields = header.parameters
        fields[CodingParameters.HeaderKey.steps.rawValue] = Double(header.steps)
        let stored = fields.filter { defaults[$0.key] != $0.value }
        let namesStored = header.sourceKind == .folder
        let first = header.images.first
        let uniform = header.images.allSatisfy { ($0.width, $0.height, $0.channels) == (first?.width, first?.height, first?.channels) }
        let seedStored = header.seed != CodingParameters.defaultSeed
        var flags = sourceKindCode(header.sourceKind)
        if !stored.isEmpty { flags |= 1 << 3 }
        if uniform { flags |= 1 << 4 }
        flags |= form.rawValue << 5
        if seedStored { flags |= 1 << 7 }

        var h = ByteWriter()
        h.u8(flags)
        h.raw(header.modelDigest)
        h.varint(header.images.count)
        func geometry(_ e: ImageEntry) { h.varint(e.width); h.varint(e.height); h.u8(UInt8(e.channels)) }
        if uniform { if let first { geometry(first) } } else { header.images.forEach(geometry) }
        if namesStored { for image in header.images { h.string(image.name) } }
        if !stored.isEmpty { h.u8(UInt8(stored.count)) }
        for key in stored.keys.sorted() {
            let v = stored[key]!
            precondition(key < 0x80, "parameter keys are 0...127 (the top bit marks an f64 value)")
            if v >= 0, v < 0x1p53, v == v.rounded(.towardZero), !(v == 0 && v.sign == .minus) {
                h.u8(key); h.varint(UInt64(v))
            } else {
                h.u8(key | 0x80); h.f64(v)
            }
        }
        if seedStored { h.u64(header.seed) }

        // A header that zstd shrinks (a folder's names) is stored packed behind its length; a plain
        // one ends where its fields do, which saves a lone small image two bytes.
        let zstd = HeaderCompression.compress(h.bytes)
        var out = ByteWriter()
        out.raw(magic)
        var lengthBytes = ByteWriter()
        lengthBytes.varint(zstd.count)
        if zstd.count + lengthBytes.bytes.count < h.bytes.count {
            out.u8(version | packedFlag); out.varint(zstd.count); out.raw(zstd)
        } else {
            out.u8(version); out.raw(h.bytes)
        }
        out.u16(Self.headerCheck(out.bytes[...]))
        for s in sections {
            precondition(s.payload.count <= Int(UInt32.max), "a section is limited to 4 GiB")
            out.u8(s.kind.rawValue); out.varint(s.payload.count); out.u32(Checksums.crc32(s.payload[...]))
            out.raw(s.payload)
        }
        return out.bytes
    }

    /// Parses the header; sections that are complete and intact come back in `sections`, and
    /// `damage` says what stopped the reading, if anything (a truncated or corrupted section).
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> (header: DDPMHeader, sections: [Section], damage: FormatError?) {
        let r = try decodePrefix(bytes)
        return (r.header, r.sections, r.damage)
    }

    /// Bytes before the first section's header (magic, version, header and its check).
    public static func headerLength(_ bytes: [UInt8]) throws(FormatError) -> Int {
        try readHeader(bytes).end
    }

    /// Bytes of a section's own header (kind, length, CRC) before a payload of `payload` bytes.
    public static func sectionHeaderLength(payload: Int) -> Int {
        var w = ByteWriter()
        w.varint(payload)
        return 1 + w.bytes.count + 4
    }

    /// Bytes before the first section's payload.
    public static func firstPayloadOffset(_ bytes: [UInt8]) throws(FormatError) -> Int {
        var r = ByteReader(bytes, offset: try headerLength(bytes))
        _ = try r.u8()
        _ = try r.varint()
        return r.offset + 4
    }

    /// Bytes before the payload of the first section of `kind` (where a progressive stream
    /// starts, after the alpha section if there is one); nil when the bytes end before it.
    public static func payloadOffset(_ bytes: [UInt8], of kind: Section.Kind) throws(FormatError) -> Int? {
        var r = ByteReader(bytes, offset: try headerLength(bytes))
        while r.remaining > 0 {
            guard let k = try? r.u8(), let length = try? r.varint(), r.remaining >= 4 else { return nil }
            _ = try r.take(4)
            if k == kind.rawValue { return r.offset }
            guard length <= UInt64(r.remaining) else { return nil }
            _ = try r.take(Int(length))
        }
        return nil
    }

    /// `decode`, and also the received part of a section cut short by the end of the bytes
    /// (`partial`, its checksum unverifiable): a progressive stream decodes from any prefix.
    public static func decodePrefix(_ bytes: [UInt8]) throws(FormatError)
        -> (header: DDPMHeader, sections: [Section], partial: Section?, damage: FormatError?)
    {
        let (header, sectionStart) = try readHeader(bytes)
        var sections: [Section] = []
        var s = ByteReader(bytes, offset: sectionStart)
        var damage: FormatError?
        var partial: Section?
        while s.remaining > 0 {
            let start = s.offset
            guard s.remaining >= 2, let k = try? s.u8(), let len = try? s.varint(), s.remaining >= 4 else {
                damage = .truncated(what: "section \(sections.count + 1) header", needed: start + 6, have: bytes.count)
                break
            }
            let c = try s.u32()
            guard let kind = Section.Kind(rawValue: k) else { damage = .malformed("unknown section kind \(k)"); break }
            guard len <= UInt64(s.remaining) else {
                let needed = len > UInt64(Int.max / 2) ? Int.max : s.offset + Int(len)
                damage = .truncated(what: "section \(sections.count + 1)", needed: needed, have: bytes.count)
                partial = Section(kind: kind, payload: try s.raw(s.remaining))
                break
            }
            let payload = try s.raw(Int(len))
            guard Checksums.crc32(payload[...]) == c else { damage = .corrupted(what: "section \(sections.count + 1)"); break }
            sections.append(Section(kind: kind, payload: payload))
        }
        return (header, sections, partial, damage)
    }

    /// The header, and the offset of the first section (after the header's check).
    static func readHeader(_ bytes: [UInt8]) throws(FormatError) -> (header: DDPMHeader, end: Int) {
        guard bytes.count >= magic.count + 1, Array(bytes[0..<magic.count]) == magic else { throw .notDDPM }
        // Versions up to 3 began "DDPMC", 0x1A, then a 16-bit version.
        if bytes[magic.count] == UInt8(ascii: "C") {
            var old = ByteReader(bytes, offset: magic.count + 2)
            guard bytes.count > magic.count + 1, bytes[magic.count + 1] == 0x1A else { throw .notDDPM }
            throw .unsupportedVersion(try old.u16())
        }
        var outer = ByteReader(bytes, offset: magic.count)
        let v = try outer.u8()
        guard v & ~packedFlag == version else { throw .unsupportedVersion(UInt16(v & ~packedFlag)) }
        var r: ByteReader
        let length: Int
        var packedEnd: Int?
        if v & packedFlag != 0 {
            // Packed: the check is verified before the bytes are inflated.
            let packedLength = try outer.varint(limit: HeaderCompression.maximumHeaderSize)
            guard packedLength >= 1, packedLength <= outer.remaining - 2 else {
                throw .truncated(what: "header", needed: outer.offset + packedLength + 2, have: bytes.count)
            }
            let end = outer.offset + packedLength
            try verifyCheck(end)
            let body = try HeaderCompression.decompress(Array(bytes[outer.offset..<end]))
            r = ByteReader(body)
            length = body.count
            packedEnd = end
        } else {
            // Plain: the fields say where the header ends, and the check follows (verified below).
            r = ByteReader(bytes, offset: outer.offset)
            length = bytes.count - outer.offset
        }
        func verifyCheck(_ end: Int) throws(FormatError) {
            guard end + 2 <= bytes.count else { throw .truncated(what: "header", needed: end + 2, have: bytes.count) }
            var checkReader = ByteReader(bytes, offset: end)
            guard try checkReader.u16() == headerCheck(bytes[0..<end]) else { throw .corrupted(what: "header") }
        }
        let flags = try r.u8()
        let kind = try sourceKind(flags & 7)
        let namesStored = kind == .folder, parametersStored = flags & (1 << 3) != 0
        let uniform = flags & (1 << 4) != 0, seedStored = flags & (1 << 7) != 0
        guard let form = CodingParameters.Form(rawValue: (flags >> 5) & 3) else { throw .malformed("unknown coding form \((flags >> 5) & 3)") }
        let model = try r.raw(DDPMHeader.digestLength)
        // One geometry for all: the count is bounded by the entries a decoder will hold before
        // DecodeLimits judges them (2^21, ~100 MB); else every image's geometry takes 3 bytes or more.
        let count = try r.varint(limit: uniform ? 1 << 21 : length)
        guard count >= 1 else { throw .malformed("the header lists no images") }
        func geometry() throws(FormatError) -> (Int, Int, Int) {
            let w = try r.varint(limit: 1 << 16), h = try r.varint(limit: 1 << 16), c = Int(try r.u8())
            guard w > 0, h > 0, c == 1 || c == 3 else { throw .malformed("an image has geometry \(w)×\(h)×\(c)") }
            return (w, h, c)
        }
        var shapes: [(Int, Int, Int)] = []
        if uniform {
            shapes = [try geometry()]
        } else {
            guard count <= length else { throw .truncated(what: "header", needed: count, have: length) }
            for _ in 0..<count { shapes.append(try geometry()) }
        }
        var names: [String] = []
        if namesStored {
            guard count <= length else { throw .truncated(what: "header", needed: count, have: length) }
            for _ in 0..<count { names.append(try r.string()) }
        }
        var images: [ImageEntry] = []
        images.reserveCapacity(min(count, 1 << 20))
        for n in 0..<count {
            let (w, h, c) = shapes[uniform ? 0 : n]
            let name = namesStored ? names[n] : count == 1 ? "image" : String(format: "image%05d", n)
            images.append(ImageEntry(name: name, width: w, height: h, channels: c))
        }
        var parameters = CodingParameters.defaultFields(form)
        for _ in 0..<(parametersStored ? Int(try r.u8()) : 0) {
            let k = try r.u8()
            parameters[k & 0x7F] = k & 0x80 == 0 ? Double(try r.varint(limit: 1 << 53)) : try r.f64()
        }
        // The chain's length is a header field of its own; it travels with the parameters only to
        // be stored when it differs from the form's default.
        let stepsValue = parameters.removeValue(forKey: CodingParameters.HeaderKey.steps.rawValue)
            ?? Double(CodingParameters.defaultSteps(form))
        // (0 reads, as any whole count does: the parameters' check judges it against the model.)
        guard stepsValue >= 0, stepsValue <= 0x1p30, stepsValue == stepsValue.rounded() else {
            throw .malformed("the chain length in the header is \(stepsValue)")
        }
        let steps = Int(stepsValue)
        let seed = seedStored ? try r.u64() : CodingParameters.defaultSeed
        let headerEnd: Int
        if let packedEnd {
            guard r.remaining == 0 else { throw .malformed("header length does not match its contents") }
            headerEnd = packedEnd
        } else {
            headerEnd = r.offset
            try verifyCheck(headerEnd)
        }
        let header = DDPMHeader(modelDigest: model, modelName: "", sourceKind: kind, images: images,
                                patchHeight: 0, patchWidth: 0, steps: steps, trainTimesteps: 0,
                                parameters: parameters, seed: seed)
        return (header, headerEnd + 2)
    }

    /// The header's check: the low 16 bits of the CRC-32 of the bytes before it.
    static func headerCheck(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        UInt16(truncatingIfNeeded: Checksums.crc32(bytes))
    }

    /// The version byte's top bit: the header is zstd-packed behind its length.
    static let packedFlag: UInt8 = 0x80

    static func sourceKindCode(_ k: SourceKind) -> UInt8 {
        switch k {
        case .png: return 0
        case .folder: return 1
        case .idx(gzipped: false): return 2
        case .idx(gzipped: true): return 3
        case .npy(channelAxis: false): return 4
        case .npy(channelAxis: true): return 5
        }
    }

    static func sourceKind(_ code: UInt8) throws(FormatError) -> SourceKind {
        switch code {
        case 0: return .png
        case 1: return .folder
        case 2: return .idx(gzipped: false)
        case 3: return .idx(gzipped: true)
        case 4: return .npy(channelAxis: false)
        case 5: return .npy(channelAxis: true)
        default: throw .malformed("unknown source kind \(code)")
        }
    }
}
