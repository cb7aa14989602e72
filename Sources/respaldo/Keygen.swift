import ArgumentParser
import Foundation
import RespaldoCore

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an age X25519 identity (prints its age1... recipient), or with --signing an Ed25519 signing key.",
        discussion: """
            The identity (private key) belongs with operators and the disaster-recovery host; the \
            backup server needs only the recipient, in [encryption] recipients.

            Examples:
              respaldo keygen --output /secure/key.txt         # prints age1...
              sudo -u respaldo respaldo keygen --signing \\
                --output /etc/respaldo/signing.key
            """)

    /// Accepted like every command's (DESIGN.md); keygen itself needs no configuration.
    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Write the identity here (mode 0600, never overwritten); without it the identity goes to standard output.", valueName: "FILE"),
            completion: .file())
    var output: String?

    @Flag(help: "Create an Ed25519 signing key (OpenSSH format) for [signing] instead; prints its ssh-ed25519 public line for [trust] signers_file.")
    var signing = false

    func run() throws {
        if signing {
            if let output {
                emit(try ManifestSigner.writeNewKey(to: output))
            } else {
                let (pem, publicLine) = ManifestSigner.generateKey()
                FileHandle.standardOutput.write(Data(pem.utf8))
                FileHandle.standardError.write(Data("Public key: \(publicLine)\n".utf8))
            }
            return
        }
        if let output {
            emit(try Keys.writeNewIdentity(to: output))
        } else {
            let (contents, recipient) = Keys.generateIdentity()
            FileHandle.standardOutput.write(Data(contents.utf8))
            FileHandle.standardError.write(Data("Public key: \(recipient)\n".utf8))
        }
    }
}
