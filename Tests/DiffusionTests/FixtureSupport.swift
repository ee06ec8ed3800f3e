import Diffusion
import Foundation
import ImageIO
import UNet
import XCTest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func fixturePath(_ relative: String) -> String {
    repositoryRoot.appendingPathComponent(relative).path
}

/// Images of a fixture file as the bound takes them, named as `ddpmc bound` names them.
func loadPixelImages(_ relative: String) throws -> [PixelImage] {
    try ImageSource.load(path: fixturePath(relative)).items.map {
        PixelImage(name: $0.name, height: $0.image.height, width: $0.image.width, channels: $0.image.channels,
                   levels: $0.image.pixels)
    }
}

/// A fixture model, with scheduler_config.json fields replaced by `overrides`.
func loadModel(_ relative: String, overrides: [String: Any] = [:]) throws -> DiffusionModel {
    let directory = fixturePath(relative)
    guard !overrides.isEmpty else { return try DiffusionModel(directory: directory) }
    let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("scheduler_config.json"))
    var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    for (k, v) in overrides { json[k] = v }
    return try DiffusionModel(network: try UNetModel(directory: directory), scheduler: try SchedulerConfig(json: json),
                              directory: directory)
}
