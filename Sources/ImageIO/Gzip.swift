import CZlib

/// gzip (RFC 1952) on memory buffers, via zlib.
enum Gzip {
    static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses every member of a gzip file. A stream that ends before its trailer
    /// (a truncated download, say) is an error, never a silently short result. Output beyond
    /// `maximum` bytes is an error found as soon as it is produced (a small file cannot inflate
    /// into gigabytes of memory); `prefix` returns just the first that many bytes, unchecked
    /// beyond them (a reader's header).
    static func decompress(_ bytes: [UInt8], name: String, maximum: Int = FileSystem.maximumInputBytes,
                           prefix: Int? = nil) throws(ImageIOError) -> [UInt8] {
        func fail(_ detail: String) -> ImageIOError {
            .malformed(name: name, format: "gzip", detail: detail)
        }
        guard hasMagic(bytes) else { throw fail("it does not start with the gzip signature") }
        guard bytes.count <= Int(UInt32.max) else { throw fail("it is larger than 4 GiB") }
        // zlib keeps a pointer back to the stream and checks it on every call, so the
        // stream needs a fixed address rather than a Swift variable passed with `&`.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not start decompressing")
        }
        defer { inflateEnd(stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count * 4, maximum, prefix ?? .max))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        let outcome = bytes.withUnsafeBufferPointer { input -> ImageIOError? in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.pointee.avail_in = UInt32(input.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    let status = inflate(stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if let prefix, output.count >= prefix { return nil }
                guard output.count <= maximum else {
                    return fail("it inflates to more than \(maximum) bytes, more than its contents can need")
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let remaining = Int(stream.pointee.avail_in)
                    if remaining == 0 { return nil }
                    // Concatenated members are valid gzip (`cat a.gz b.gz`); anything else is not.
                    let next = input.count - remaining
                    guard remaining >= 2, input[next] == 0x1F, input[next + 1] == 0x8B else {
                        return fail("it has \(remaining) bytes of trailing garbage after the compressed data")
                    }
                    guard inflateReset(stream) == Z_OK else { return fail("zlib could not restart") }
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    return fail("it is truncated (the compressed data ends early)")
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return fail("the compressed data is corrupt (\(reason))")
                }
            }
        }
        if let outcome { throw outcome }
        if let prefix, output.count > prefix { return Array(output[0..<prefix]) }
        return output
    }

    /// Compresses into a single gzip member. zlib writes a zero timestamp, so equal input
    /// gives equal output.
    static func compress(_ bytes: [UInt8], path: String) throws(ImageIOError) -> [UInt8] {
        guard bytes.count <= Int(UInt32.max) / 2 else {
            throw .cannotStore(path: path, detail: "the data is too large to gzip in one piece")
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                            Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .cannotWrite(path: path, reason: "zlib could not start compressing")
        }
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, UInt(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let (status, produced) = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                let status = deflate(stream, Z_FINISH)
                return (status, out.count - Int(stream.pointee.avail_out))
            }
        }
        guard status == Z_STREAM_END else {
            throw .cannotWrite(path: path, reason: "zlib failed to compress (status \(status))")
        }
        output.removeSubrange(produced...)
        return output
    }
}
