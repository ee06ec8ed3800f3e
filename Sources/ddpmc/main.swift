import ArgumentParser
struct DDPMC: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ddpmc", abstract: "Diffusion-model image codec")
}
DDPMC.main()
