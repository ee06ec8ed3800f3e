import Foundation
import XCTest

/// A model's own coding chain through the executable: the default of `encode` and of `bound
/// --steps` its length, `--spacing model`, and the refusals.
extension ProgressiveCLITests {
    /// A copy of the 8×8 gray fixture model with a 4-step chain of its own.
    func modelWithChain() throws -> String {
        let dir = tmp.appendingPathComponent("chained-model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"] {
            try FileManager.default.copyItem(atPath: Self.gray + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        try Data(#"{"chain": {"timesteps": [0, 2, 9, 640]}}"#.utf8).write(to: dir.appendingPathComponent("codec_config.json"))
        return dir.path
    }

    func testTheModelsOwnChainIsTheDefault() throws {
        let model = try modelWithChain()
        let png = try writePNG("a.png", width: 16, height: 8, channels: 1)
        let file = tmp.appendingPathComponent("a.ddpm"), out = tmp.appendingPathComponent("a-decoded.npy")
        let e = try CLI.run(["encode", png.path, "-o", file.path, "--model", model, "--route", "bits-back", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["steps"] as? Int, 4, "the model's 4-step chain, not 100 quadratic steps")
        let info = try CLI.run(["info", file.path])
        XCTAssertTrue(info.stdout.contains("4 steps, the model's own chain"), info.stdout)
        let d = try CLI.run(["decode", file.path, "-o", out.path, "--model", model],
                            environment: ["OPENBLAS_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(Array(try Data(contentsOf: out).suffix(128)), Self.pixels(count: 128, seed: 7),
                       "exact, under another BLAS kernel and thread count")

        // Another length: quadratic spacing, as before.
        let q = try CLI.run(["encode", png.path, "-o", tmp.appendingPathComponent("q.ddpm").path, "--model", model,
                             "--route", "bits-back", "--steps", "3", "--json"])
        XCTAssertEqual(q.status, 0, q.stderr)
        let qi = try CLI.run(["info", tmp.appendingPathComponent("q.ddpm").path])
        XCTAssertTrue(qi.stdout.contains("3 steps, quadratic spacing"), qi.stdout)

        // bound: --spacing model alone, or --steps of the chain's length, is the model's chain.
        for args in [["--spacing", "model"], ["--steps", "4"]] {
            let b = try CLI.run(["bound", png.path, "--model", model, "--json"] + args)
            XCTAssertEqual(b.status, 0, b.stderr)
            let bj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(bj["steps"] as? Int, 4, "\(args)")
            XCTAssertEqual(bj["spacing"] as? String, "model", "\(args)")
        }
    }

    func testTheModelsChainIsRefusedWhereItCannotApply() throws {
        let model = try modelWithChain()
        let png = try writePNG("a.png", width: 8, height: 8, channels: 1)
        for (args, words) in [(["--model", model, "--spacing", "model", "--steps", "5"], ["4 steps", "not 5"]),
                              (["--model", Self.gray, "--spacing", "model"], ["no chain of its own"])] {
            let out = tmp.appendingPathComponent("x.ddpm")
            let r = try CLI.run(["encode", png.path, "-o", out.path] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(args): \(r.stderr)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output on an error")
        }
        let b = try CLI.run(["bound", png.path, "--model", Self.gray, "--spacing", "model"])
        XCTAssertNotEqual(b.status, 0)
        XCTAssertTrue(b.stderr.contains("no chain of its own"), b.stderr)
    }
}
