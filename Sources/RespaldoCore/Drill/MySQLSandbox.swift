/// The mariadb client's sandbox mode (`--sandbox`, MariaDB 10.5.25, 10.6.18, 10.11.8 and the
/// 11.x releases of May 2024 on): client commands that reach a shell or the file system (`\!`
/// and `system`, `\.` and `source`, `tee`, `pager`) fail, wherever they stand on a line, and
/// in batch mode the first failure ends the load.
enum MySQLSandbox {
    /// `--local-infile=0` too: the sandbox does not cover `LOAD DATA LOCAL INFILE`, with which a
    /// dump makes the client send a file of this host to the server (seen with 10.11.19:
    /// `--sandbox --local-infile=1` loads /etc/hostname). The client's default is off, but a
    /// my.cnf may turn it on.
    static let arguments = ["--sandbox", "--local-infile=0"]

    /// Throws unless `tool` has `--sandbox`: without it, a dump could run commands here.
    static func check(_ tool: String, runner: ToolRunner) throws {
        let help = try runner.run([tool, "--no-defaults", "--help"], environment: [:], operation: "checking that \(tool) has --sandbox")
        guard help.contains("--sandbox") else {
            throw DrillError.unsafeLoader(tool, reason: "this client has no --sandbox (MariaDB's client has it from 10.5.25, 10.6.18, "
                + "10.11.8 and the 11.x releases of May 2024 on): a dump could run shell commands on this host through it, so none is "
                + "loaded. Install MariaDB's client (mariadb), or load with a [jobs.drill] restore_command of your own")
        }
    }

    /// The client's refusal from its stderr ("ERROR at line 60: Not allowed in the sandbox
    /// mode"): the line it names and the message.
    static func refusal(in stderrTail: String) -> (line: Int?, message: String)? {
        let message = "Not allowed in the sandbox mode"
        guard stderrTail.contains(message) else { return nil }
        var line: Int?
        if let at = stderrTail.range(of: "ERROR at line ") {
            line = Int(stderrTail[at.upperBound...].prefix { $0.isASCII && $0.isNumber })
        }
        return (line, message)
    }
}
