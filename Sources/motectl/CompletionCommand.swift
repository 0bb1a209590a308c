import ArgumentParser

/// `motectl completion bash|zsh|fish`: prints a shell completion script.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a completion script: motectl completion bash > /etc/bash_completion.d/motectl")

    @Argument(help: "bash, zsh or fish")
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else { throw ValidationError("unknown shell '\(shell)'; use bash, zsh or fish") }
    }

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else { return }
        print(Motectl.completionScript(for: kind))
    }
}
