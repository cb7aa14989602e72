import Foundation

/// What a PostgreSQL drill checks before fetching a byte: that its role may create the scratch
/// database (CREATEDB), and that it may take every owner the dump will set. A plain pg_dump
/// without `--no-owner` ends each object with `ALTER … OWNER TO <role>`, which only a member
/// of that role (PostgreSQL 16: one that may SET ROLE to it) or a superuser may run; inside
/// `--single-transaction` the first such statement fails the whole load, after the whole
/// artifact was fetched. The owners are read from the dumped database itself when the
/// scratch server holds it (a drill on the job's own server); a DR server that does not is
/// left to the load, whose failure then names the same fixes.
extension PostgresDrillTarget {
    func preflight(_ manifest: Manifest) throws {
        let role = try query("SELECT current_user", in: "postgres", operation: "connecting to \(serverName) for the drill")
        let name = PostgresClient.quoteIdentifier(database)
        do {
            _ = try query("CREATE DATABASE \(name) TEMPLATE template0", in: "postgres", operation: "checking that \(role) may create \(database)")
        } catch let DrillError.tool(_, operation, _, tail) where tail.contains("permission denied to create database") {
            throw DrillError.privilege(
                operation: operation, problem: "role \(role) may not create databases on \(serverName) (psql: \(tail))",
                fix: "run ALTER ROLE \(role) CREATEDB; as a superuser, or set [jobs.drill] user to a role that may (nothing was fetched)")
        }
        try drop()
        guard !Self.dumpSkipsOwners(manifest.source.argv) else { return }
        let owners = ownersOutOfReach()
        guard !owners.isEmpty else { return }
        let list = owners.joined(separator: ", ")
        throw DrillError.privilege(
            operation: "checking that \(role) may take the owners the dump of \(server.database) sets",
            problem: "the dump (pg_dump without --no-owner) gives objects to \(list), and role \(role) is not a member of \(owners.count == 1 ? "it" : "them"): "
                + "its first ALTER … OWNER TO would fail the load",
            fix: "add dump_args = [\"--no-owner\"] to the job (its next snapshots restore as whoever loads them), "
                + "or set [jobs.drill] user to a role that is a member of \(list) (or a superuser) (nothing was fetched)")
    }

    /// `--no-owner` or `-O` among pg_dump's arguments (`-O` also in a cluster such as `-Ox`).
    static func dumpSkipsOwners(_ argv: [String]) -> Bool {
        argv.contains { $0 == "--no-owner" || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.dropFirst().contains("O")) }
    }

    /// The owners of the dumped database's objects that the drill's role cannot take; empty
    /// when that database is not on the scratch server (or cannot be read).
    private func ownersOutOfReach() -> [String] {
        let version = Int((try? query("SHOW server_version_num", in: "postgres", operation: "reading the server's version")) ?? "") ?? 0
        // PostgreSQL 16 asks for the right to SET ROLE, earlier versions for membership.
        let right = version >= 160000 ? "SET" : "MEMBER"
        let sql = """
            SELECT DISTINCT pg_catalog.pg_get_userbyid(owner) FROM (
              SELECT c.relowner AS owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
              UNION SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
              UNION SELECT p.proowner FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            ) AS objects
            WHERE pg_catalog.pg_get_userbyid(owner) <> 'pg_database_owner'
              AND NOT pg_catalog.pg_has_role(current_user, owner, '\(right)')
            ORDER BY 1
            """
        guard let output = try? query(sql, in: server.database, operation: "reading the owners in \(server.database)", cleanup: true) else {
            return []
        }
        return output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// The fixes for an ownership failure of the load itself (a DR server, where the owners
    /// could not be read beforehand).
    static func ownershipAdvice(_ stderrTail: String) -> String? {
        let signs = ["must be member of role", "must be able to SET ROLE", "must be owner of"]
        guard signs.contains(where: stderrTail.contains) else { return nil }
        return "the dump sets owners that the drill's role may not take: add dump_args = [\"--no-owner\"] to the job "
            + "(its next snapshots restore as whoever loads them), or set [jobs.drill] user to a role that is a member of those roles (or a superuser)"
    }

    var serverName: String {
        "\(server.host ?? "the local socket")\(server.port.map { ":\($0)" } ?? "")"
    }
}
