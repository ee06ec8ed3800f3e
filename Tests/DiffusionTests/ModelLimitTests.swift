import Diffusion
import Foundation
import UNet
import XCTest

/// Model configs that would make the loader allocate gigabytes are refused by name first.
final class ModelLimitTests: XCTestCase {
    func modelCopy(editing file: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/unet/gray28-plain")
        for name in ["config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let url = dir.appendingPathComponent(file)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return dir.path
    }

    func testHugeConfigsAreRefusedBeforeAllocating() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("scheduler_config.json", { $0["num_train_timesteps"] = 1_000_000_000 }, "num_train_timesteps"),
            ("config.json", { $0["sample_size"] = 100_000 }, "sample_size"),
            ("config.json", { $0["block_out_channels"] = [100_000, 100_000, 100_000] }, "block_out_channels"),
            // Within the size caps, but far more than the weights file holds.
            ("config.json", { $0["block_out_channels"] = [4096, 4096, 4096] }, "parameters"),
            ("config.json", { $0["layers_per_block"] = 1000 }, "layers_per_block"),
            ("config.json", { $0["attn_norm_num_groups"] = 7 }, "attn_norm_num_groups"),
        ]
        for (file, edit, fragment) in cases {
            let dir = try modelCopy(editing: file, edit)
            XCTAssertThrowsError(try DiffusionModel(directory: dir), fragment) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(fragment): \(error)")
            }
        }
    }
}
