/// Puts options that every command takes where ArgumentParser looks for them. Operators write
/// `respaldo --config /etc/x.toml check-config` as often as the other way round (git, systemctl
/// and ssh all take global options first), but ArgumentParser reads a command's options only
/// after its name: `--config` (and `--config=PATH`) before the subcommand is moved behind it.
/// `-V` (which ArgumentParser does not know) and `--version` alone answer with the version.
enum ArgumentOrder {
    /// What `main` should do with the command line.
    enum Outcome: Equatable {
        case parse([String])
        case version
        case usage(String)
    }

    static let globalOptions = ["--config"]

    /// `arguments` without the program name.
    static func normalize(_ arguments: [String], subcommands: Set<String>) -> Outcome {
        if arguments == ["-V"] || arguments == ["--version"] { return .version }
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if globalOptions.contains(argument) {
                guard index + 1 < arguments.count else { return .usage("\(argument) needs a value (PATH)") }
                moved += [argument, arguments[index + 1]]
                index += 2
            } else if globalOptions.contains(where: { argument.hasPrefix($0 + "=") }) {
                moved.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !moved.isEmpty else { return .parse(arguments) }
        guard index < arguments.count, subcommands.contains(arguments[index]) else {
            return .usage("\(moved[0]) must go with a command, e.g. `respaldo \(moved.joined(separator: " ")) check-config`")
        }
        return .parse([arguments[index]] + moved + arguments[(index + 1)...])
    }
}
