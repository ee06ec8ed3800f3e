import Foundation

/// `codec_config.json` beside a model: what the codec needs to know of a model beyond diffusers'
/// files (its tiling, its own chain). Part of the model's identity; read once per model load.
struct CodecConfig {
    let path: String
    /// The file's object; nil when the model has none.
    let object: [String: Any]?

    init(directory: String) throws(DiffusionError) {
        path = (directory as NSString).appendingPathComponent("codec_config.json")
        guard FileManager.default.fileExists(atPath: path) else { object = nil; return }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw .unreadable(path: path, reason: "not readable, or larger than 1 MiB")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .unreadable(path: path, reason: "not valid JSON")
        }
        guard let dict = parsed as? [String: Any] else { throw .unreadable(path: path, reason: "not a JSON object") }
        object = dict
    }
}
