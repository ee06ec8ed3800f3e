import Foundation
import XCTest

/// The decoder must rebuild the encoder's probabilities bit for bit on another machine. The
/// forward pass runs in subprocesses under different OpenBLAS kernels and thread counts, and
/// every output byte must agree.
final class DeterminismTests: XCTestCase {
    func testForwardPassIsIdenticalAcrossBLASKernelsAndThreads() throws {
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        for fixture in ["cifar10-narrow", "learned-var", "gray28-attn"] {
            let dir = repositoryRoot.appendingPathComponent("Fixtures/unet/\(fixture)")
            var outputs: [Data] = []
            for core in ["Haswell", "Prescott"] {
                for threads in ["1", "2"] {
                    let out = tmp.appendingPathComponent("\(fixture)-\(core)-\(threads).safetensors")
                    let r = try CLI.run(["eps", "--model", dir.path, dir.appendingPathComponent("io.safetensors").path,
                                         "-o", out.path],
                                        environment: ["OPENBLAS_CORETYPE": core, "OPENBLAS_NUM_THREADS": threads,
                                                      "DDPMC_THREADS": threads])
                    XCTAssertEqual(r.status, 0, r.stderr)
                    outputs.append(try Data(contentsOf: out))
                }
            }
            XCTAssertGreaterThan(outputs[0].count, 100)
            for o in outputs.dropFirst() { XCTAssertEqual(o, outputs[0], "\(fixture): outputs differ between BLAS configurations") }
        }
    }
}
