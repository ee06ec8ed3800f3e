import Foundation
import Tensor
import UNet
import XCTest

final class LoaderTests: XCTestCase {
    /// google/ddpm-cifar10-32's structure, listed by diffusers: our loader must ask for exactly
    /// those tensors with those shapes, under the modern and the legacy attention names.
    func testCIFAR10StructureMatchesDiffusers() throws {
        let url = unetFixtures.appendingPathComponent("cifar10-structure.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let config = try UNetConfig(json: try XCTUnwrap(json["config"] as? [String: Any]))
        let expected = try UNetModel.expectedTensors(config: config)
        func list(_ key: String) throws -> [String: [Int]] {
            let items = try XCTUnwrap(json[key] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: items.map { ($0["name"] as! String, ($0["shape"] as! [NSNumber]).map(\.intValue)) })
        }
        let modern = try list("tensors")
        XCTAssertEqual(Set(expected.map(\.name)), Set(modern.keys))
        for (name, shape) in expected { XCTAssertEqual(modern[name], shape, name) }
        let params = expected.reduce(0) { $0 + $1.shape.reduce(1, *) }
        XCTAssertEqual(params, (json["parameters"] as? NSNumber)?.intValue)
        XCTAssertEqual(Double(params) / 1e6, 35.7, accuracy: 0.05)

        // The legacy names load too (zero weights are enough to prove the structure).
        let legacy = try list("legacy_tensors")
        let tensors = legacy.mapValues { NamedTensor(shape: $0, values: [Float](repeating: 0, count: $0.reduce(1, *))) }
        XCTAssertNoThrow(try UNetModel(config: config, tensors: tensors))
    }

    func testAttentionHeadDimNullAndMissingDiffer() throws {
        var base: [String: Any] = ["block_out_channels": [16, 32], "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
                                   "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "norm_num_groups": 8]
        XCTAssertEqual(try UNetConfig(json: base).attentionHeadDim, 8)          // diffusers' default
        base["attention_head_dim"] = NSNull()
        XCTAssertNil(try UNetConfig(json: base).attentionHeadDim)               // one head per block
        base["attention_head_dim"] = 4
        XCTAssertEqual(try UNetConfig(json: base).attentionHeadDim, 4)
    }

    func testUnsupportedConfigNamesTheField() {
        let cases: [([String: Any], String)] = [
            (["down_block_types": ["CrossAttnDownBlock2D"], "up_block_types": ["UpBlock2D"], "block_out_channels": [8]], "down_block_types"),
            (["time_embedding_type": "fourier"], "time_embedding_type"),
            (["act_fn": "gelu"], "act_fn"),
            (["num_class_embeds": 10], "num_class_embeds"),
            (["resnet_time_scale_shift": "spatial"], "resnet_time_scale_shift"),
            (["block_out_channels": [30, 60, 60, 60]], "norm_num_groups"),
            (["in_channels": "three"], "in_channels"),
            (["upsample_type": "resnet"], "upsample_type"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try UNetConfig(json: json), field) { error in
                XCTAssertTrue("\(error)".contains(field), "\(error) should name \(field)")
            }
        }
    }

    func testWeightMismatchListsEveryProblem() throws {
        let dir = unetFixtures.appendingPathComponent("gray28-plain")
        let config = try UNetConfig(path: dir.appendingPathComponent("config.json").path)
        var tensors = try SafeTensors(path: dir.appendingPathComponent("diffusion_pytorch_model.safetensors").path).tensors
        tensors.removeValue(forKey: "conv_in.weight")
        tensors["extra.weight"] = NamedTensor(shape: [1], values: [0])
        let old = tensors["conv_out.bias"]!
        tensors["conv_out.bias"] = NamedTensor(shape: [old.count + 1], values: old.values + [0])
        XCTAssertThrowsError(try UNetModel(config: config, tensors: tensors)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing tensors: conv_in.weight"), text)
            XCTAssertTrue(text.contains("unexpected tensors: extra.weight"), text)
            XCTAssertTrue(text.contains("mis-shaped tensors: conv_out.bias"), text)
        }
    }

    func testMissingModelFilesAreClearErrors() {
        XCTAssertThrowsError(try UNetModel(directory: "/nonexistent/model")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model/config.json"), "\(error)")
        }
    }
}

final class SafeTensorsTests: XCTestCase {
    func testRoundTripAndHalfConversions() throws {
        let bytes = SafeTensors.serialize([("a", [2, 3], [1, -2, 3.5, 0, -0.25, 1e-3]), ("b", [1], [7])])
        let st = try SafeTensors(bytes: bytes)
        XCTAssertEqual(st.tensors["a"]?.shape, [2, 3])
        XCTAssertEqual(st.tensors["a"]?.values, [1, -2, 3.5, 0, -0.25, 1e-3])
        XCTAssertEqual(st.tensors["b"]?.values, [7])
        XCTAssertEqual(SafeTensors.halfToFloat(0x3C00), 1)
        XCTAssertEqual(SafeTensors.halfToFloat(0xC000), -2)
        XCTAssertEqual(SafeTensors.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0001), 0x1p-24)
        XCTAssertEqual(SafeTensors.halfToFloat(0x7C00), .infinity)
        XCTAssertTrue(SafeTensors.halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(SafeTensors.halfToFloat(0x8000).sign, .minus)
    }

    func testHalfPrecisionFilesLoad() throws {
        func header(_ json: String) -> [UInt8] {
            let h = Array(json.utf8)
            return (0..<8).map { UInt8(UInt64(h.count) >> (8 * UInt64($0)) & 0xff) } + h
        }
        let f16 = header("{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}") + [0x00, 0x3C, 0x00, 0xC0]
        XCTAssertEqual(try SafeTensors(bytes: f16).tensors["x"]?.values, [1, -2])
        let bf16 = header("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}") + [0x80, 0x3F, 0x40, 0xC0]
        XCTAssertEqual(try SafeTensors(bytes: bf16).tensors["x"]?.values, [1, -3])
    }

    func testMalformedFilesThrow() {
        func header(_ json: String, extra: Int = 0) -> [UInt8] {
            let h = Array(json.utf8)
            return (0..<8).map { UInt8(UInt64(h.count + extra) >> (8 * UInt64($0)) & 0xff) } + h
        }
        let good = SafeTensors.serialize([("a", [4], [1, 2, 3, 4])])
        var cases: [[UInt8]] = [[], [1, 2, 3], header("{}", extra: 100), header("not json"), header("[1,2]"),
                                header("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}") + [UInt8](repeating: 0, count: 8),
                                header("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}") + [0, 0, 0, 0],
                                header("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
                                header("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}") + [0, 0, 0, 0],
                                header("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}")]
        for cut in stride(from: 1, to: good.count, by: 3) { cases.append(Array(good[0..<cut])) }
        for bytes in cases { XCTAssertThrowsError(try SafeTensors(bytes: bytes)) }
        XCTAssertThrowsError(try SafeTensors(bytes: header("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}") + [UInt8](repeating: 0, count: 8))) {
            XCTAssertTrue("\($0)".contains("I64"), "\($0)")
        }
    }
}
