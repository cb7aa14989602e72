import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The environment of the dump tools (pg_dump, mariadb-dump, tar, a command job, and the psql
/// or mariadb session that counts rows beside the dump): an allow-list, like the drill's
/// (`minimalChildEnvironment`), so that a secret respaldo was given in a variable (cloud keys,
/// a webhook token, proxy credentials), a stray PGPASSWORD or an LD_PRELOAD never reaches a
/// tool that runs for hours and whose own children see it too.
///
/// Unlike the drill, a dump runs against the operator's own server as the service user, so:
/// - `HOME` is that user's real home (respaldo's `HOME`, else the account's from the password
///   database): with no `password_file`, libpq may rely on `~/.pgpass` or `~/.pg_service.conf`.
/// - `LANG` and `LC_ALL` are respaldo's own when it has either (a command job's output may
///   depend on the locale the service was given), else `C.UTF-8`.
/// - `PATH` and `TZ` as `minimalChildEnvironment` keeps them.
/// - `extra`: what respaldo sets for the job itself (`PGPASSFILE`); it wins.
/// Nothing else: connection settings belong in the job (`host`, `port`, `user`, `dump_args`).
func dumpEnvironment(adding extra: [String: String],
                     parent: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
    var env = minimalChildEnvironment(home: serviceHome(parent), adding: [:], parent: parent)
    if parent["LANG"] != nil || parent["LC_ALL"] != nil {
        // Both as respaldo has them: a C.UTF-8 LC_ALL kept beside its LANG would override it.
        env["LANG"] = parent["LANG"]
        env["LC_ALL"] = parent["LC_ALL"]
    }
    env.merge(extra) { _, new in new }
    return env
}

/// respaldo's `HOME` when it is an absolute path, else the effective user's home from the
/// password database, else `/`.
func serviceHome(_ parent: [String: String]) -> String {
    if let home = parent["HOME"], home.hasPrefix("/") { return home }
    if let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir {
        let home = String(cString: directory)
        if home.hasPrefix("/") { return home }
    }
    return "/"
}
