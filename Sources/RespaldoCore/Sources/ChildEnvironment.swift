import Foundation

/// The environment of a tool that handles content respaldo does not trust (a drill's loaders
/// and client tools; later the dump tools too): an allow-list, not respaldo's environment minus
/// a few names. What respaldo itself was given (a secret in a variable, PGPASSWORD, MYSQL_PWD,
/// proxy settings, LD_PRELOAD) stays with respaldo, and HOME names a private folder of the
/// caller's, so that no ~/.psqlrc, ~/.pgpass, ~/.my.cnf or ~/.mylogin.cnf of the user running
/// respaldo is read.
///
/// - `PATH`: respaldo's own, or `/usr/local/bin:/usr/bin:/bin` when it has none.
/// - `LANG`, `LC_ALL`: `C.UTF-8`. Also keeps the tools' messages in English, which the drill
///   reads (psql's "backslash commands are restricted", the mariadb client's sandbox refusal).
/// - `TZ`, when respaldo has it.
/// - `HOME`: `home`.
/// - `extra`: what the caller passes (PG*, RESPALDO_DRILL_*); it wins over the above.
func minimalChildEnvironment(home: String, adding extra: [String: String],
                             parent: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
    var env: [String: String] = [
        "PATH": parent["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultChildPath,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": home,
    ]
    if let zone = parent["TZ"] { env["TZ"] = zone }
    env.merge(extra) { _, new in new }
    return env
}

/// PATH for a child when respaldo was started without one.
let defaultChildPath = "/usr/local/bin:/usr/bin:/bin"
