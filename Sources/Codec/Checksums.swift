import CCrypto
import CZlib

/// SHA-256 (OpenSSL) identifies the model weights and the decoded pixels; CRC-32 (zlib)
/// guards each section of a file so damage is reported before anything is decoded.
public enum Checksums {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { b in
            digest.withUnsafeMutableBufferPointer { d in
                EVP_Digest(b.baseAddress, b.count, d.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "SHA-256 failed in libcrypto")
        return digest
    }

    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in
            UInt32(CZlib.crc32(0, b.baseAddress, uInt(b.count)))
        }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation
