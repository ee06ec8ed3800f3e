import Foundation
import XCTest

/// `ddpmc bound` end to end: output formats, side files and the error paths.
final class BoundCLITests: XCTestCase {
    func fixture(_ path: String) -> String { repositoryRoot.appendingPathComponent(path).path }

    func testJSONPerStepAndNoiseDump() throws {
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let csv = tmp.appendingPathComponent("steps.csv"), noise = tmp.appendingPathComponent("eps.npy")
        let r = try CLI.run(["bound", fixture("Fixtures/bound/fmnist3.npy"), "--model", fixture("Fixtures/unet/gray28-plain"),
                             "--steps", "4", "--seed", "9", "--batch", "2", "--json",
                             "--per-step", csv.path, "--dump-noise", noise.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("ETA"), "progress goes to stderr")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["model", "steps", "spacing", "terms_per_image", "estimate", "mean_bits_per_dim", "stderr", "images"])
        XCTAssertEqual(json["terms_per_image"] as? Int, 4)
        XCTAssertEqual(json["estimate"] as? Bool, false)
        XCTAssertEqual(json["steps"] as? Int, 4)
        XCTAssertEqual(json["model"] as? String, fixture("Fixtures/unet/gray28-plain"))
        let images = try XCTUnwrap(json["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, 3)
        XCTAssertEqual(images[0]["name"] as? String, "fmnist3.npy[0]")
        var sum = 0.0
        for image in images {
            XCTAssertEqual(Set(image.keys), ["name", "bits_per_dim", "prior", "diffusion", "decoder"])
            let parts = ["prior", "diffusion", "decoder"].map { image[$0] as! Double }
            XCTAssertEqual(parts.reduce(0, +), image["bits_per_dim"] as! Double, accuracy: 1e-12)
            sum += image["bits_per_dim"] as! Double
        }
        XCTAssertEqual(json["mean_bits_per_dim"] as! Double, sum / 3, accuracy: 1e-12)
        XCTAssertGreaterThan(json["stderr"] as! Double, 0)

        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "t,model_timestep,term,mean_bits_per_dim")
        XCTAssertEqual(rows.count, 1 + 4 + 1)
        XCTAssertTrue(rows[1].hasPrefix("1,0,decoder,"))
        XCTAssertTrue(rows[5].hasPrefix("5,999,prior,"))
        let total = rows.dropFirst().map { Double($0.split(separator: ",")[3])! }.reduce(0, +)
        XCTAssertEqual(total, json["mean_bits_per_dim"] as! Double, accuracy: 1e-12)

        // float64 [4 steps, 3 x 784 sub-pixels] after a 128-byte header.
        let bytes = try Data(contentsOf: noise)
        XCTAssertEqual(bytes.count, 128 + 4 * 3 * 784 * 8)
        XCTAssertTrue(String(decoding: bytes.prefix(128), as: UTF8.self).contains("'shape': (4, 2352)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: noise.path + ".partial"))

        // Same seed, same numbers; the human format carries the split.
        let human = try CLI.run(["bound", fixture("Fixtures/bound/fmnist3.npy"), "--model", fixture("Fixtures/unet/gray28-plain"),
                                 "--steps", "4", "--seed", "9"])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains(String(format: "mean %.5f", json["mean_bits_per_dim"] as! Double)), human.stdout)
        XCTAssertTrue(human.stdout.contains("prior") && human.stdout.contains("decoder"))
    }

    func testStratifiedEstimateIsReportedAsOne() throws {
        let r = try CLI.run(["bound", fixture("Fixtures/bound/fmnist3.npy"), "--model", fixture("Fixtures/unet/gray28-plain"),
                             "--steps", "30", "--terms", "6", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["terms_per_image"] as? Int, 6)
        XCTAssertEqual(json["estimate"] as? Bool, true)
        XCTAssertEqual(json["steps"] as? Int, 30)
        let human = try CLI.run(["bound", fixture("Fixtures/bound/fmnist3.npy"), "--model", fixture("Fixtures/unet/gray28-plain"),
                                 "--steps", "30", "--terms", "6"])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains("stratified estimate: 6 of 30 terms"), human.stdout)
        XCTAssertTrue(human.stdout.contains(String(format: "mean %.5f", json["mean_bits_per_dim"] as! Double)), human.stdout)
    }

    func testTiledImagesAndDefaultModel() throws {
        // 40x36 gray: not a 28×28 clothing item, so the default is the gray photo model, in four 32×32 patches
        // (BundledModelChoice), and stderr says so.
        let defaultModel = fixture("Fixtures/models/gray32")
        let r = try CLI.run(["bound", fixture("Fixtures/bound/gray40x36.npy"), "--steps", "2", "--json"])
        if FileManager.default.fileExists(atPath: defaultModel + "/config.json") {
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertTrue((json["model"] as? String ?? "").hasSuffix("models/gray32"))
            XCTAssertTrue(json["stderr"] is NSNull, "one image has no standard error")
            XCTAssertTrue(r.stderr.contains("model: gray32 (gray images, not 28×28"), r.stderr)
        } else {
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("gray32"), r.stderr)
        }
        // Fashion-MNIST items keep the clothing model.
        let items = try CLI.run(["bound", fixture("Fixtures/bound/fmnist3.npy"), "--steps", "2", "--json"])
        if FileManager.default.fileExists(atPath: fixture("Fixtures/models/fmnist28") + "/config.json") {
            XCTAssertEqual(items.status, 0, items.stderr)
            XCTAssertTrue(items.stderr.contains("model: fmnist28 (gray 28×28 items on a black ground"), items.stderr)
        }
    }

    func testErrors() throws {
        let gray = fixture("Fixtures/unet/gray28-plain")
        func fails(_ args: [String], mentioning words: [String]) throws {
            let r = try CLI.run(["bound"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(args): \(r.stderr)") }
        }
        try fails([fixture("Fixtures/bound/rgb32.npy"), "--model", gray, "--steps", "2"],
                  mentioning: ["rgb32.npy[0]", "3 channels", "expects 1"])
        try fails(["--model", gray], mentioning: ["no input"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), "--model", "/nonexistent/model"], mentioning: ["/nonexistent/model"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), "--model", fixture("Fixtures/bound")],
                  mentioning: ["scheduler_config.json"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), "--model", gray, "--steps", "0"], mentioning: ["respace"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), fixture("Fixtures/bound/rgb32.npy")], mentioning: ["mix gray and RGB"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), "--model", gray, "--terms", "1"], mentioning: ["at least 2 terms"])
        try fails([fixture("Fixtures/bound/fmnist3.npy"), "--model", gray, "--terms", "5", "--per-step", "x.csv"],
                  mentioning: ["--terms", "--per-step"])
        let tmp = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        try fails([tmp.path, "--model", gray], mentioning: ["no .png files"])
    }
}
