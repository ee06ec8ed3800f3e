import ArgumentParser
import Codec
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print the header and section sizes of a .ddpm file.")

    @Argument(help: ".ddpm file") var input: String
    @Flag(help: "machine-readable output") var json = false

    func run() throws {
        do {
            guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("cannot read \(input)") }
            let summary = try FileSummary(bytes: [UInt8](data))
            let bundled = bundledModel(identity: summary.header.modelDigest)?.name
            if json {
                var fields = summary.fields
                if let bundled { fields["model"] = bundled }
                try printJSON(fields)
                return
            }
            print("file:        \(input) (\(data.count) bytes)")
            if let bundled { print("bundled:     \(bundled)") }
            for line in summary.lines { print(line) }
        } catch let e as CLIError { throw e } catch { throw CLIError(describe(error)) }
    }
}
