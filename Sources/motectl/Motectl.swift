import ArgumentParser
import MoteClient
import MoteCore

/// `motectl`: drives moted over its socket.
@main
struct Motectl: ParsableCommand {
    /// Lets the options every command takes (`--socket`, `-o`) come before the subcommand too:
    /// `motectl --socket S status` is read as `motectl status --socket S`.
    static func main() {
        main(GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst())))
    }

    static let configuration = CommandConfiguration(
        commandName: "motectl",
        abstract: "Control the mote daemon (moted) over its Unix socket.",
        version: MoteVersion.string,
        subcommands: [
            StatusCommand.self, ApplyCommand.self, FeaturesCommand.self, RunsCommand.self, ModelsCommand.self, AuditCommand.self,
            SyncCommand.self, TrainCommand.self, JobsCommand.self, PredictCommand.self, MonitorCommand.self, VersionCommand.self, CompletionCommand.self,
        ])
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "moted's socket (default $MOTE_SOCKET, else /run/mote/mote.sock).")
    var socket: String?

    @Option(name: [.short, .long], help: "Output format: table or json.")
    var output: OutputFormat = .table

    /// Moves leading global options after the first subcommand word.
    static func hoisted(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("-") {
            if ["--socket", "-o", "--output"].contains(first), rest.count >= 2 {
                leading.append(contentsOf: rest.prefix(2))
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--socket=") || first.hasPrefix("--output=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let command = rest.first else { return arguments }
        return [command] + leading + rest.dropFirst()
    }

    func client() -> MoteClient {
        MoteClient(socketPath: socket ?? MoteClient.defaultSocketPath)
    }
}

/// How a command prints its answer.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Exit codes of motectl.
enum ExitStatus {
    /// moted answered with an error.
    static let apiError: Int32 = 1
    /// moted could not be reached.
    static let unreachable: Int32 = 2
}
