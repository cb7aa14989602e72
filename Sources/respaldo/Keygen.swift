import ArgumentParser
import Foundation
import RespaldoCore

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an age X25519 identity; prints its age1… recipient.",
        discussion: """
            The identity (private key) belongs with operators and the disaster-recovery host; the \
            backup server needs only the recipient, in [encryption] recipients.
            """)

    /// Accepted like every command's (DESIGN.md); keygen itself needs no configuration.
    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Write the identity here (mode 0600, never overwritten); without it the identity goes to standard output.", valueName: "FILE"))
    var output: String?

    func run() throws {
        if let output {
            emit(try Keys.writeNewIdentity(to: output))
        } else {
            let (contents, recipient) = Keys.generateIdentity()
            FileHandle.standardOutput.write(Data(contents.utf8))
            FileHandle.standardError.write(Data("Public key: \(recipient)\n".utf8))
        }
    }
}
