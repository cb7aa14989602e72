import ArgumentParser
import Foundation
import RespaldoCore

// Exit statuses are part of the contract (DESIGN.md): 0 ok, 1 failed, 2 usage or
// configuration, 75 locked. ArgumentParser's own defaults (64 for usage) are remapped here.
signal(SIGPIPE, SIG_IGN)
Interruption.install()
RespaldoLogHandler.bootstrap()

let arguments: [String]
switch ArgumentOrder.normalize(Array(CommandLine.arguments.dropFirst()),
                               subcommands: Set(Respaldo.configuration.subcommands.map { $0._commandName } + ["help"])) {
case let .parse(normalized):
    arguments = normalized
case .version:
    // As ArgumentParser prints it for --version: the bare version, which scripts read.
    print(respaldoVersion)
    exit(0)
case let .usage(message):
    fail(message, status: ExitStatus.of(.usage))
}

let command: any ParsableCommand
do {
    command = try Respaldo.parseAsRoot(arguments)
} catch {
    let status = Respaldo.exitCode(for: error)
    let message = Respaldo.fullMessage(for: error)
    if status == .success {
        print(message)
        exit(0)
    }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(ExitStatus.of(.usage))
}

do {
    var runnable = command
    try runnable.run()
    exit(0)
} catch let error as RespaldoError {
    fail(error.description, status: ExitStatus.of(error))
} catch let error as ConfigError {
    // Every problem of the file, one line each, then how many: all of them are to fix.
    let problems = error.all
    for problem in problems.dropLast() { TerminalLine.standardError.writeLine("respaldo: \(SecretRedaction.redact(problem.description))\n") }
    fail(problems.count == 1 ? "\(error)" : "\(problems.last ?? error)\nrespaldo: \(problems.count) problems in the configuration (each above)", status: ExitStatus.of(.usage))
} catch {
    // ArgumentParser's own outcomes (help, a validation error) can surface from run() too.
    switch Respaldo.exitCode(for: error) {
    case .success:
        print(Respaldo.fullMessage(for: error))
        exit(0)
    case .validationFailure:
        fail(Respaldo.fullMessage(for: error), status: ExitStatus.of(.usage))
    default:
        fail("\(error)", status: ExitStatus.of(.failed))
    }
}

func fail(_ message: String, status: Int32) -> Never {
    TerminalLine.standardError.writeLine("respaldo: \(SecretRedaction.redact(message))\n")
    exit(status)
}
