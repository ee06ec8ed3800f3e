import ArgumentParser
import Foundation
import ImageIO
import Tensor
import UNet

/// Evaluates eps_theta on inputs from a safetensors file: the hook for parity checks against
/// PyTorch and for the cross-machine determinism test.
struct EpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eps",
        abstract: "Evaluate the network eps_theta(x_t, t) on inputs stored in a safetensors file.",
        discussion: "INPUT holds `sample` [N,C,H,W] (F32) and `timestep` [N]; OUTPUT receives `eps` [N,C',H,W].")

    @Option(name: .long, help: "diffusers model directory") var model: String
    @Argument(help: "safetensors file with `sample` and `timestep`") var input: String
    @Option(name: .shortAndLong, help: "safetensors file to write `eps` to") var output: String

    func run() throws {
        let net = try UNetModel(directory: model)
        let io = try SafeTensors(path: input)
        guard let sample = io.tensors["sample"], sample.shape.count == 4, let t = io.tensors["timestep"] else {
            throw CLIError("\(input) must hold `sample` [N,C,H,W] and `timestep` [N]")
        }
        let (n, c, h, w) = (sample.shape[0], sample.shape[1], sample.shape[2], sample.shape[3])
        let multiple = 1 << (net.config.blockOutChannels.count - 1)
        guard n >= 1, h >= 1, w >= 1, h % multiple == 0, w % multiple == 0 else {
            throw CLIError("`sample` is \(n)×\(c)×\(h)×\(w); the network needs H and W multiples of \(multiple)")
        }
        guard t.count == n else { throw CLIError("`timestep` has \(t.count) entries for \(n) samples") }
        guard c == net.config.inChannels else {
            throw CLIError("the model expects \(net.config.inChannels) channels, the sample has \(c)")
        }
        let x = FeatureMap(nchw: sample.values, batch: n, channels: c, height: h, width: w)
        let eps = net(x, timesteps: t.values.map(Double.init))
        let bytes = SafeTensors.serialize([("eps", [n, eps.channels, eps.height, eps.width], eps.toNCHW())])
        try AtomicFile.write(bytes, to: output)
        note("\(output): eps of \(n) sample(s), \(eps.channels)×\(eps.height)×\(eps.width) each")
    }
}
