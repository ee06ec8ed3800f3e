import ArgumentParser
import Foundation

struct DDPMC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpmc",
        abstract: "A lossless and progressive image codec built on a denoising diffusion model.",
        subcommands: [EncodeCommand.self, DecodeCommand.self, InfoCommand.self, RDCommand.self, BoundCommand.self, BenchCommand.self, EpsCommand.self])
}

/// A first word that is neither a subcommand nor an option is a mistyped subcommand: say so (with the
/// nearest name) rather than letting the parser complain about the options that follow it.
func unknownSubcommand(_ arguments: [String]) -> String? {
    guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
    let names = DDPMC.configuration.subcommands.compactMap { $0.configuration.commandName }
    guard !names.contains(first), first != "help" else { return nil }
    func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where i <= a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let saved = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = saved
            }
        }
        return row[b.count]
    }
    let nearest = names.min { distance(first, $0) < distance(first, $1) }
    let hint = nearest.map { distance(first, $0) <= 2 ? " (did you mean '\($0)'?)" : "" } ?? ""
    return "Error: unknown subcommand '\(first)'\(hint); the subcommands are \(names.joined(separator: ", "))"
}

if let message = unknownSubcommand(Array(CommandLine.arguments.dropFirst())) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(64)
}
DDPMC.main()
