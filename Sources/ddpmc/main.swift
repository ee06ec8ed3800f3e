import ArgumentParser

struct DDPMC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpmc",
        abstract: "A lossless and progressive image codec built on a denoising diffusion model.",
        subcommands: [EncodeCommand.self, DecodeCommand.self, InfoCommand.self, RDCommand.self, BoundCommand.self, BenchCommand.self, EpsCommand.self])
}

DDPMC.main()
