import Foundation
import CryptoPrimitives

/// psql's restricted mode (`\restrict KEY`, added for CVE-2025-8714 in 13.22, 14.19, 15.14,
/// 16.10, 17.6 and 18): while it holds, every meta-command but `\unrestrict KEY` fails, so
/// with ON_ERROR_STOP a dump's `\!` (at a line's start or in its middle, `\o |cmd`,
/// `\copy … program`, `\i`) stops the load before anything runs. The drill enters it with a
/// fresh key before the first byte of the dump: only a dump that knew the key could leave it.
enum PsqlRestriction {
    /// The first releases of each major version with `\restrict`; 18.0 and later all have it.
    static let firstMinor: [Int: Int] = [13: 22, 14: 19, 15: 14, 16: 10, 17: 6]

    /// The line to feed psql first: 32 random bytes in hex, new for each load. Never logged,
    /// never in argv (which any local user can read).
    static func restrictLine() -> [UInt8] {
        Array("\\restrict \(Hex.encode(secureRandomBytes(32)))\n".utf8)
    }

    /// Major and minor version from `psql --version` ("psql (PostgreSQL) 15.18 (Debian …)");
    /// a pre-release (`18beta3`, `19devel`) has minor -1. Nil when there is none to read.
    static func version(_ output: String) -> (major: Int, minor: Int)? {
        guard let range = output.range(of: "(PostgreSQL) ") else { return nil }
        let token = output[range.upperBound...].prefix { !$0.isWhitespace }
        let major = token.prefix { $0.isASCII && $0.isNumber }
        guard let majorNumber = Int(major) else { return nil }
        let rest = token.dropFirst(major.count)
        guard rest.first == "." else { return (majorNumber, -1) }
        let minor = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
        return Int(minor).map { (majorNumber, $0) } ?? (majorNumber, -1)
    }

    /// True when that psql has restricted mode. Pre-releases of 18 may not: false.
    static func supported(_ version: (major: Int, minor: Int)) -> Bool {
        if version.major >= 19 { return true }
        if version.major == 18 { return version.minor >= 0 }
        return firstMinor[version.major].map { version.minor >= $0 } ?? false
    }

    /// Why the load does not start with a psql that lacks restricted mode. No line filter
    /// replaces it: only psql's own lexer knows whether a backslash stands in a string, a
    /// comment or COPY data (a `COPY … FROM stdin;` line inside a multi-line string would
    /// make any filter wave the next `\!` through as data).
    static func unsupportedReason(_ versionOutput: String) -> String {
        let said = versionOutput.trimmingCharacters(in: .whitespacesAndNewlines).prefix(100)
        return "psql --version says \"\(said)\", which has no restricted mode (\\restrict: PostgreSQL 13.22, 14.19, 15.14, 16.10, "
            + "17.6, 18 and later): a dump could run shell commands on this host through it, so none is loaded. "
            + "Install a newer PostgreSQL client, or load with a [jobs.drill] restore_command of your own"
    }

    /// psql's message when the restriction (or a wrong key) stopped a command, from its stderr.
    static func refusal(in stderrTail: String) -> String? {
        ["backslash commands are restricted; only \\unrestrict is allowed", "\\unrestrict: wrong key"]
            .first { stderrTail.contains($0) }
    }
}
