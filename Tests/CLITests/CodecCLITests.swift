import Foundation
import XCTest

/// encode / decode / info through the executable, as a user runs them.
final class CodecCLITests: XCTestCase {
    var tmp: URL!
    override func setUpWithError() throws { tmp = try temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// A small gray PNG made by the codec's own decoder path: write raw IDX, then let ddpmc
    /// turn it into an archive and back, so the test needs no image tools.
    func writeIDX(count: Int, height: Int = 28, width: Int = 28) throws -> URL {
        var bytes: [UInt8] = [0, 0, 8, 3]
        for d in [count, height, width] { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        var s: UInt32 = 12345
        for i in 0..<(count * height * width) {
            s = s &* 1_664_525 &+ 1_013_904_223
            bytes.append(UInt8(truncatingIfNeeded: (i % width) * 9 + Int(s >> 29)))
        }
        let url = tmp.appendingPathComponent("images-idx3-ubyte")
        try Data(bytes).write(to: url)
        return url
    }

    func testDefaultModelRoundTripDecodesIdenticallyUnderAnotherBLASKernel() throws {
        let input = try writeIDX(count: 2)
        let encoded = tmp.appendingPathComponent("a.ddpm"), decoded = tmp.appendingPathComponent("b-idx3-ubyte")
        let e = try CLI.run(["encode", input.path, "-o", encoded.path, "--steps", "12", "--json", "--route", "bits-back"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.contains("net_bits_per_dim"), e.stdout)
        let d = try CLI.run(["decode", encoded.path, "-o", decoded.path],
                            environment: ["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1", "DDPMC_THREADS": "1"])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try Data(contentsOf: decoded), try Data(contentsOf: input), "decoded archive differs from the input")
        let i = try CLI.run(["info", encoded.path, "--json"])
        XCTAssertEqual(i.status, 0, i.stderr)
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["images"] as? Int, 2)
        XCTAssertEqual(info["dims"] as? Int, 2 * 28 * 28)
        for key in ["bytes", "initial_bits", "bits_per_dim", "net_bits_per_dim"] { XCTAssertNotNil(info[key], key) }
        XCTAssertEqual(info["spacing"] as? String, "quadratic", "the lossless default")
    }

    /// A single small image goes by the direct route (no initial bits) when that file is smaller,
    /// and decodes exactly under another BLAS kernel; `info` and `--json` say which route was taken.
    func testASingleImageTakesTheSmallerRoute() throws {
        // The first Fashion-MNIST test image (what the model fits), and the stripes of writeIDX, far from
        // clothing.
        let fmnist = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard FileManager.default.fileExists(atPath: fmnist) else { throw XCTSkip("dataset-fashion-mnist not installed") }
        let input = tmp.appendingPathComponent("one-idx3-ubyte")
        XCTAssertEqual(try CLI.run(["decode", try encodeFirst(fmnist), "-o", input.path]).status, 0)
        let auto = tmp.appendingPathComponent("auto.ddpm"), forced = tmp.appendingPathComponent("bb.ddpm")
        let stripes = try writeIDX(count: 1)
        let s = try CLI.run(["encode", stripes.path, "-o", tmp.appendingPathComponent("s.ddpm").path, "--steps", "12", "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        // Whichever route it keeps, it is the smaller file of the ones it coded.
        let stripesSummary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
        let kept = try XCTUnwrap(stripesSummary["bytes"] as? Int)
        let other = (stripesSummary["bits_back_route_bytes"] ?? stripesSummary["direct_route_bytes"]) as? Int
        XCTAssertLessThanOrEqual(kept, other ?? kept, s.stdout)
        let e = try CLI.run(["encode", input.path, "-o", auto.path, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["route"] as? String, "direct", e.stdout)
        let bitsBackBytes = try XCTUnwrap(summary["bits_back_route_bytes"] as? Int)
        XCTAssertEqual(summary["bytes"] as? Int, try Data(contentsOf: auto).count)
        XCTAssertLessThan(try Data(contentsOf: auto).count, bitsBackBytes, "the smaller file is kept")
        XCTAssertEqual(try CLI.run(["encode", input.path, "-o", forced.path, "--route", "bits-back"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: forced).count, bitsBackBytes, "the route tried is the route forced")
        let decoded = tmp.appendingPathComponent("d-idx3-ubyte")
        let d = try CLI.run(["decode", auto.path, "-o", decoded.path],
                            environment: ["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1", "DDPMC_THREADS": "1"])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.stderr.contains("decoded exactly"), d.stderr)
        XCTAssertEqual(try Data(contentsOf: decoded), try Data(contentsOf: input))
        let i = try CLI.run(["info", auto.path, "--json"])
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["route"] as? String, "direct")
        let j = try CLI.run(["info", forced.path, "--json"])
        let bbInfo = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(bbInfo["route"] as? String, "bits-back")
    }

    /// The first image of a data set as a file of its own (through a 2-step bits-back file).
    func encodeFirst(_ path: String) throws -> String {
        let out = tmp.appendingPathComponent("first.ddpm")
        XCTAssertEqual(try CLI.run(["encode", path, "--limit", "1", "-o", out.path, "--steps", "2", "--route", "bits-back"]).status, 0)
        return out.path
    }

    /// --spacing: quadratic by default for lossless files, even for progressive ones, either on
    /// request; `info` says which, and the files decode.
    func testSpacingDefaultsAndOverride() throws {
        let input = try writeIDX(count: 1)
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/gray28-plain").path
        for (args, expected) in [([String](), "quadratic"), (["--spacing", "even"], "even"),
                                 (["--progressive"], "even"), (["--progressive", "--spacing", "quadratic"], "quadratic")] {
            let encoded = tmp.appendingPathComponent("s\(args.count)\(expected).ddpm")
            let e = try CLI.run(["encode", input.path, "-o", encoded.path, "--model", model, "--steps", "5", "--json",
                                 "--route", "bits-back"] + args)
            XCTAssertEqual(e.status, 0, "\(args): \(e.stderr)")
            let i = try CLI.run(["info", encoded.path, "--json"])
            let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(info["spacing"] as? String, expected, "\(args)")
            let human = try CLI.run(["info", encoded.path])
            XCTAssertTrue(human.stdout.contains("\(expected) spacing"), human.stdout)
            let d = try CLI.run(["decode", encoded.path, "-o", tmp.appendingPathComponent("d\(args.count)\(expected)-idx3-ubyte").path,
                                 "--model", model])
            XCTAssertEqual(d.status, 0, "\(args): \(d.stderr)")
        }
        let bad = try CLI.run(["encode", input.path, "-o", tmp.appendingPathComponent("x.ddpm").path, "--spacing", "cubic"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("cubic"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("x.ddpm").path))
    }

    func testBadInputsFailCleanlyAndLeaveNoOutput() throws {
        let input = try writeIDX(count: 1)
        let model = repositoryRoot.appendingPathComponent("Fixtures/unet/gray28-plain").path
        let encoded = tmp.appendingPathComponent("a.ddpm")
        XCTAssertEqual(try CLI.run(["encode", input.path, "-o", encoded.path, "--model", model, "--steps", "3",
                                    "--route", "bits-back"]).status, 0)
        let good = try Data(contentsOf: encoded)
        let out = tmp.appendingPathComponent("out.png")
        var damaged: [(String, Data)] = [("truncated", good.prefix(good.count / 2)), ("empty", Data()),
                                         ("not ddpm", Data("hello".utf8))]
        var flipped = good; flipped[good.count - 9] ^= 0x40; damaged.append(("bit flip", flipped))
        var version = good; version[6] = 99; damaged.append(("version", version))
        for (what, data) in damaged {
            let f = tmp.appendingPathComponent("bad.ddpm")
            try data.write(to: f)
            let r = try CLI.run(["decode", f.path, "-o", out.path, "--model", model])
            XCTAssertNotEqual(r.status, 0, what)
            XCTAssertFalse(r.stderr.isEmpty, what)
            XCTAssertFalse(r.stderr.contains("Fatal error"), "\(what): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(what) left an output file")
        }
        // Another model: refused by its weights' SHA-256.
        let other = repositoryRoot.appendingPathComponent("Fixtures/unet/gray28-attn").path
        let r = try CLI.run(["decode", encoded.path, "-o", out.path, "--model", other])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("SHA-256"), r.stderr)
        // A missing output folder is reported before any work.
        let missing = try CLI.run(["encode", input.path, "-o", tmp.appendingPathComponent("no/such/dir/x.ddpm").path,
                                   "--model", model, "--steps", "2"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
        // Never overwrite the input.
        let same = try CLI.run(["encode", input.path, "-o", input.path, "--model", model, "--steps", "2"])
        XCTAssertNotEqual(same.status, 0)
        XCTAssertEqual(try Data(contentsOf: input).count, 16 + 28 * 28)
    }

    /// Without --model the bundled model is chosen from the content (never the clothing model for a gray photo)
    /// and named on stderr and in --json; --model overrides.
    func testTheDefaultModelFollowsTheContent() throws {
        let models = repositoryRoot.appendingPathComponent("Fixtures/models")
        guard ["gray32", "fmnist28"].allSatisfy({ FileManager.default.fileExists(atPath: models.appendingPathComponent("\($0)/config.json").path) })
        else { throw XCTSkip("the bundled models are not here") }
        func encode(_ input: String, _ extra: [String] = []) throws -> (json: [String: Any], stderr: String) {
            let r = try CLI.run(["encode", input, "-o", tmp.appendingPathComponent("m.ddpm").path, "--steps", "2",
                                 "--route", "bits-back", "--json", "--force"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return (try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]), r.stderr)
        }
        let photo = try encode(try writeIDX(count: 1, height: 20, width: 24).path)
        XCTAssertEqual(photo.json["model"] as? String, "gray32")
        XCTAssertTrue(photo.stderr.contains("model: gray32 (gray images, not 28×28 Fashion-MNIST items"), photo.stderr)
        let stripes = try encode(try writeIDX(count: 1).path)
        XCTAssertEqual(stripes.json["model"] as? String, "gray32", "28×28 without a black ground")
        let forced = try encode(try writeIDX(count: 1).path, ["--model", models.appendingPathComponent("fmnist28").path])
        XCTAssertEqual(forced.json["model"] as? String, "fmnist28")
        XCTAssertFalse(forced.stderr.contains("model: "), "nothing chosen, nothing to say")
        let fmnist = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        if FileManager.default.fileExists(atPath: fmnist) {
            let items = try encode(fmnist, ["--limit", "3"])
            XCTAssertEqual(items.json["model"] as? String, "fmnist28")
            XCTAssertTrue(items.stderr.contains("model: fmnist28 (gray 28×28 items on a black ground"), items.stderr)
        }
    }

    /// A small RGB input (at most 4 patches of 32×32 in all) goes to the whole-image photo model, a larger one to
    /// the patch model; the decoder finds either by the file's model identity, without --model.
    func testSmallRGBInputsGoToTheWholeImageModel() throws {
        let models = repositoryRoot.appendingPathComponent("Fixtures/models")
        guard ["photo", "photo32"].allSatisfy({ FileManager.default.fileExists(atPath: models.appendingPathComponent("\($0)/config.json").path) })
        else { throw XCTSkip("the bundled models are not here") }
        func npy(_ name: String, height: Int, width: Int) throws -> URL {
            let url = tmp.appendingPathComponent(name)
            try Data(ProgressiveCLITests.npyRGB(count: 1, height: height, width: width)).write(to: url)
            return url
        }
        let small = try npy("rgb16.npy", height: 12, width: 16)
        let coded = tmp.appendingPathComponent("rgb16.ddpm"), decoded = tmp.appendingPathComponent("rgb16-out.npy")
        let r = try CLI.run(["encode", small.path, "-o", coded.path, "--steps", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["model"] as? String, "photo")
        XCTAssertTrue(r.stderr.contains("model: photo (small RGB input: 1 patch of 32×32 in all"), r.stderr)
        let d = try CLI.run(["decode", coded.path, "-o", decoded.path])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try ProgressiveCLITests.npyData(decoded), try ProgressiveCLITests.npyData(small))
        // Five patches (8×136: one row of five, the edge ones padded): the patch model; `bound` chooses as encode does.
        let wide = try npy("rgb136.npy", height: 8, width: 136)
        let b = try CLI.run(["bound", wide.path, "--steps", "2"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(b.stderr.contains("model: photo32 (RGB images"), b.stderr)
    }

    func testChannelMismatchIsAClearError() throws {
        let input = try writeIDX(count: 1)
        let rgbModel = repositoryRoot.appendingPathComponent("Fixtures/unet/learned-var").path
        let r = try CLI.run(["encode", input.path, "-o", tmp.appendingPathComponent("x.ddpm").path, "--model", rgbModel])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("channel"), r.stderr)
    }
}
