import ImageIO

/// The images' opacity planes, coded without loss beside the colour the model codes.
///
/// Most alpha planes on disk are constant (255 everywhere, kept so that an RGBA file comes back
/// RGBA) or a mask with a few edges, so a simple coder is enough: per image, one of
///
///     0                          no alpha plane
///     1  value:u8                the same opacity everywhere
///     2  length:varint  zstd     the plane, each sample minus the one before it (mod 256), zstd-compressed
///
/// The section comes first in the file, so a progressive prefix that holds any step holds the
/// alpha too (docs/DESIGN.md §6).
enum AlphaPlanes {
    /// The section for these images, or nil when none has an alpha plane (the file then has no section).
    static func section(_ images: [Image]) -> Section? {
        guard images.contains(where: { $0.alpha != nil }) else { return nil }
        var w = ByteWriter()
        for image in images {
            guard let alpha = image.alpha else { w.u8(0); continue }
            if let first = alpha.first, alpha.allSatisfy({ $0 == first }) {
                w.u8(1); w.u8(first)
                continue
            }
            var previous: UInt8 = 0
            let residuals = alpha.map { a -> UInt8 in defer { previous = a }; return a &- previous }
            let frame = HeaderCompression.compress(residuals)
            w.u8(2); w.varint(frame.count); w.raw(frame)
        }
        return Section(kind: .alpha, payload: w.bytes)
    }

    /// The planes a file holds, one per entry (nil: none); no section means no planes.
    static func planes(_ sections: [Section], entries: [ImageEntry]) throws(FormatError) -> [[UInt8]?] {
        guard let section = sections.first(where: { $0.kind == .alpha }) else { return entries.map { _ in nil } }
        var r = ByteReader(section.payload)
        var planes: [[UInt8]?] = []
        planes.reserveCapacity(entries.count)
        for entry in entries {
            let count = entry.width * entry.height
            switch try r.u8() {
            case 0:
                planes.append(nil)
            case 1:
                planes.append([UInt8](repeating: try r.u8(), count: count))
            case 2:
                let length = try r.varint(limit: r.remaining)
                let residuals = try HeaderCompression.decompress(try r.raw(length), what: "an alpha plane", limit: count)
                guard residuals.count == count else {
                    throw .malformed("an alpha plane holds \(residuals.count) samples for \(entry.width)×\(entry.height) pixels")
                }
                var previous: UInt8 = 0
                planes.append(residuals.map { d -> UInt8 in previous = previous &+ d; return previous })
            case let mode:
                throw .malformed("unknown alpha plane coding \(mode)")
            }
        }
        guard r.remaining == 0 else { throw .malformed("the alpha section is longer than its planes") }
        return planes
    }

    /// `images` with their planes attached.
    static func attach(_ planes: [[UInt8]?], to images: [NamedImage]) throws -> [NamedImage] {
        guard planes.contains(where: { $0 != nil }) else { return images }
        return try zip(images, planes).map { item, plane in
            NamedImage(name: item.name, image: try item.image.withAlpha(plane))
        }
    }
}
