import Foundation
import ImageIO
import XCTest

/// Inputs crafted to exhaust memory: refused from what they are, not after reading them whole.
final class HostileFileTests: XCTestCase {
    func testADeviceIsNotReadAsAnImage() {
        for path in ["/dev/zero", "/dev/null"] {
            let error = expectError { try ImageSource.load(path: path) }
            XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains("not a regular file"), "\(path): \(String(describing: error))")
        }
    }

    func testAGzipBombStopsWhereTheIDXHeaderSaysTheDataEnds() {
        // One 28×28 image promised, then 64 MiB of zeros: gzip makes that ~64 KiB.
        var plain: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]
        plain += [UInt8](repeating: 0, count: 64 << 20)
        let bomb = gzipped(plain)
        XCTAssertLessThan(bomb.count, 1 << 20)
        let error = expectError { try IDXReader.decode(bomb, name: "bomb-idx3-ubyte.gz") }
        XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains("inflates to more than 801 bytes"), String(describing: error))
        // The same file, honest, still reads.
        let honest = gzipped(Array(plain[0..<(16 + 784)]))
        XCTAssertEqual(try IDXReader.decode(honest, name: "ok-idx3-ubyte.gz").images.count, 1)
    }
}
