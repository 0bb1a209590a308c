import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl`: drives moted over its socket.
@main
struct Motectl: ParsableCommand {
    /// Lets the options every command takes (`--socket`, `-o`) come before the subcommand too:
    /// `motectl --socket S status` is read as `motectl status --socket S`.
    ///
    /// An unknown command is a usage error (exit 64), also with `--help` after it (which would
    /// otherwise print the top-level help and exit 0). `motectl --version` prints the version;
    /// it is not an option of every command, so `predict --version` and `monitor --version`
    /// (a model version) have one meaning.
    static func main() {
        let arguments = GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst()))
        if arguments == ["--version"] {
            print(MoteVersion.string)
            return
        }
        if let first = arguments.first, !first.hasPrefix("-"), first != "help" {
            let known = configuration.subcommands.map { $0._commandName }
            if !known.contains(first) {
                CLIOutput.error("unknown command '\(first)'; the commands are: \(known.joined(separator: ", ")) (motectl --help)")
                Glibc.exit(ExitCode.validationFailure.rawValue)
            }
        }
        main(arguments)
    }

    static let configuration = CommandConfiguration(
        commandName: "motectl",
        abstract: "Control the mote daemon (moted) over its Unix socket.",
        discussion: """
            motectl speaks to moted(8) over its socket: --socket, else $MOTE_SOCKET, else \
            /run/mote/mote.sock. moted gives the caller a role from its uid and groups: members \
            of group mote may push, predict and send feedback; members of mote and mote-admin \
            may also apply definitions, train and manage models; root and the user moted runs \
            as are admin.

            Exit status: 0 done; 1 moted answered with an error (printed as \
            "motectl: <error> [<status> <code>]"); 2 moted is not reachable (also status --wait \
            when its time is up); 3 done in part (features push skipped rows with bad values, \
            feedback found no prediction for some labels); 64 a usage error.

            See also: moted(8), moted.toml(5), /usr/share/doc/mote/api.md.
            """,
        subcommands: [
            StatusCommand.self, ApplyCommand.self, FeaturesCommand.self, RunsCommand.self, ModelsCommand.self, AuditCommand.self,
            SyncCommand.self, FleetCommand.self, TrainCommand.self, JobsCommand.self, ScoreCommand.self, PredictCommand.self, FeedbackCommand.self, MonitorCommand.self,
            VersionCommand.self, CompletionCommand.self, UICommand.self,
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
    /// The command did its work but not all of its input was taken (`features push`: rows
    /// with bad values were skipped and listed; the others are stored).
    static let partial: Int32 = 3
}
