import Foundation
import XCTest

@testable import RespaldoCore

/// Each class of configuration error, with the file, line and key it names.
final class ConfigLoaderErrorTests: ConfigLoaderTestCase {
    func testSyntaxErrorHasLineAndColumn() {
        let text = Self.head + "[retention]\nkeep_last = = 3\n"
        guard let error = parseError(text) else { return }
        XCTAssertEqual(error.kind, .syntax)
        XCTAssertEqual(error.line, 4)
        XCTAssertEqual(error.column, 13)
        XCTAssertTrue(error.description.hasPrefix("/etc/respaldo/respaldo.toml:4:13: TOML syntax error:"), error.description)
    }

    func testUnknownKeySuggestsClosest() {
        let text = Self.head + remote + """
            [[jobs]]
            name = "web"
            source = "files"
            paths = ["/srv"]

            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            compresion_level = 9
            """
        // line 8: first [[jobs]], line 13: second, 17: compresion_level
        assertError(
            text, .unknownKey,
            "/etc/respaldo/respaldo.toml:17: jobs[1] \"crm\": key \"compresion_level\": unknown key (did you mean \"compression_level\"?)"
        )
    }

    func testUnknownKeysAtTopLevelAndInSubtables() {
        assertError(
            Self.head + "\n# comment\nlocal_dri = \"/x\"\n", .unknownKey,
            "respaldo.toml:5: key \"local_dri\": unknown key (did you mean \"local_dir\"?)")
        assertError(
            Self.head + "[retention]\nkeep_last = 1\nkeep_forever = 1\n", .unknownKey,
            "respaldo.toml:5: retention: key \"keep_forever\": unknown key")
        let drill = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            [jobs.drill]
            chekcs = ["SELECT 1"]
            """
        assertError(
            drill, .unknownKey,
            "respaldo.toml:8: jobs[0] \"crm\": key \"drill.chekcs\": unknown key (did you mean \"checks\"?)")
        // No suggestion when nothing is close; the first unknown key in the file is reported.
        assertError(
            Self.head + "zzz = 1\naaa = 2\n", .unknownKey, "respaldo.toml:3: key \"zzz\": unknown key")
    }

    func testWrongType() {
        let text = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            port = "5432"
            """
        assertError(
            text, .wrongType, "respaldo.toml:7: jobs[0] \"crm\": key \"port\": expected an integer, found a string")
        assertError(
            Self.head + "[retention]\nkeep_last = 1.5\n", .wrongType,
            "respaldo.toml:4: retention: key \"keep_last\": expected an integer, found a floating-point number")
        assertError(
            Self.head + "[[jobs]]\nname = \"a\"\nsource = \"files\"\npaths = [\"/etc\", 3]\n", .wrongType,
            "respaldo.toml:6: jobs[0] \"a\": key \"paths[1]\": expected a string, found an integer")
        assertError(
            Self.head + "encryption = \"age1\"\n", .wrongType,
            "respaldo.toml:3: key \"encryption\": expected a table, found a string")
        assertError(
            Self.head + "[jobs]\nname = \"a\"\n", .wrongType,
            "respaldo.toml:3: key \"jobs\": expected an array of tables ([[jobs]]), found a table")
        assertError(
            Self.head + "\n[jobs.drill]\nchecks = []\n", .wrongType,
            "respaldo.toml:4: key \"jobs\": expected an array of tables ([[jobs]]), found a table")
        assertError(
            Self.head + remote + "retry_delay = \"5s\"\n", .wrongType,
            "respaldo.toml:8: remotes[0] \"geo\": key \"retry_delay\": expected a number, found a string")
    }

    func testMissingRequiredKey() {
        // Top-level keys have no table header: no line.
        assertError(
            "state_dir = \"/var/lib/respaldo\"\n", .missingKey,
            "/etc/respaldo/respaldo.toml: key \"local_dir\": required key is missing")
        // Inside a table: the line of its header.
        let text = Self.head + remote + """
            [[jobs]]
            name = "a"
            source = "files"
            paths = ["/a"]

            # the second job
            [[jobs]]
            name = "crm"
            schedule = "01:00"
            """
        assertError(text, .missingKey, "respaldo.toml:14: jobs[1] \"crm\": key \"source\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nsource = \"files\"\npaths = [\"/a\"]\n", .missingKey,
            "respaldo.toml:3: jobs[0]: key \"name\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nname = \"db\"\nsource = \"postgres\"\n", .missingKey,
            "respaldo.toml:3: jobs[0] \"db\": key \"database\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nname = \"f\"\nsource = \"files\"\n", .missingKey,
            "respaldo.toml:3: jobs[0] \"f\": key \"paths\": required for source = \"files\"")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nidentity_file = \"\(key)\"\n",
            .missingKey,
            "respaldo.toml:3: remotes[0] \"geo\": known_hosts or host_key_sha256: one is required, there is no way to turn host-key checking off"
        )
        assertError(
            Self.head + "[metrics]\n", .missingKey, "respaldo.toml:3: metrics: key \"textfile\": required key is missing")
        assertError(
            Self.head + "[encryption]\n", .missingKey,
            "respaldo.toml:3: encryption: needs recipients, recipients_file or passphrase_file")
    }

    func testImpossibleValues() {
        func job(_ line: String) -> String {
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"postgres\"\ndatabase = \"crm\"\n" + line + "\n"
        }
        // The job's extra key is on line 7.
        assertError(
            job("compression_level = 12"), .invalidValue,
            "respaldo.toml:7: jobs[0] \"crm\": key \"compression_level\": must be between 0 and 9, found 12")
        assertError(job("port = 0"), .invalidValue, "respaldo.toml:7:", "key \"port\": must be between 1 and 65535")
        assertError(job("port = 70000"), .invalidValue, "respaldo.toml:7:", "key \"port\"")
        assertError(job("min_bytes = -1"), .invalidValue, "respaldo.toml:7:", "key \"min_bytes\": must be at least 0")
        assertError(job("max_shrink = 1.5"), .invalidValue, "respaldo.toml:7:", "key \"max_shrink\": must be between 0 and 1")
        assertError(job("max_shrink = 0"), .invalidValue, "respaldo.toml:7:", "key \"max_shrink\"")
        assertError(job("sanity = \"maybe\""), .invalidValue, "respaldo.toml:7:", "key \"sanity\": \"maybe\" is not a mode")
        assertError(job("schedule = \"25:00\""), .invalidValue, "respaldo.toml:7:", "key \"schedule\": \"25:00\"")
        assertError(job("schedule = \"0 1 * *\""), .invalidValue, "respaldo.toml:7:", "5-field cron")
        assertError(job("timezone = \"Mars/Olympus\""), .invalidValue, "respaldo.toml:7:", "key \"timezone\"", "Mars/Olympus")
        assertError(job("password_file = \"crm.password\""), .invalidValue, "respaldo.toml:7:", "must be an absolute path")
        assertError(job("paths = [\"/etc\"]"), .invalidValue, "respaldo.toml:7:", "key \"paths\": is not used by a postgres job")
        assertError(job("user = \"\""), .invalidValue, "respaldo.toml:7:", "key \"user\": must not be empty")
        assertError(
            job("[jobs.drill]\nport = 99999"), .invalidValue, "respaldo.toml:8:", "key \"drill.port\": must be between 1 and 65535")
        assertError(
            job("[jobs.drill]\nschedule = \"1 2 3\""), .invalidValue, "respaldo.toml:8:", "key \"drill.schedule\"")
        assertError(
            job("[jobs.drill]\nrestore_command = []"), .invalidValue, "respaldo.toml:8:", "key \"drill.restore_command\"")

        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"oracle\"\n", .invalidValue,
            "respaldo.toml:5: jobs[0] \"crm\": key \"source\": \"oracle\" is not a source; expected one of postgres, mysql, files, command"
        )
        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"fiels\"\n", .invalidValue, "(did you mean \"files\"?)")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = [\"/etc\"]\ndatabase = \"x\"\n", .invalidValue,
            "respaldo.toml:7: jobs[0] \"etc\": key \"database\": is only for postgres and mysql jobs")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = [\"/etc\", \"srv\"]\n", .invalidValue,
            "respaldo.toml:6: jobs[0] \"etc\": key \"paths[1]\": must be an absolute path, found \"srv\"")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = []\n", .invalidValue,
            "respaldo.toml:6:", "key \"paths\": must list at least one path")
        assertError(
            Self.head + "[[jobs]]\nname = \"x\"\nsource = \"command\"\ncommand = []\n", .invalidValue,
            "respaldo.toml:6:", "key \"command\": must be a non-empty argv array")
        assertError(
            Self.head + "[[jobs]]\nname = \"crm.daily\"\nsource = \"command\"\ncommand = [\"/bin/true\"]\n",
            .invalidValue, "respaldo.toml:4: jobs[0] \"crm.daily\": key \"name\": \"crm.daily\" is not a valid job name")
        assertError(
            "local_dir = \"var/backups\"\nstate_dir = \"/var/lib/respaldo\"\n", .invalidValue,
            "respaldo.toml:1: key \"local_dir\": must be an absolute path, found \"var/backups\"")
        assertError(
            Self.head + "timezone = \"Nowhere/City\"\n", .invalidValue,
            "respaldo.toml:3: key \"timezone\": \"Nowhere/City\" is not a known IANA time zone")
        assertError(
            Self.head + "[retention]\nkeep_daily = -7\n", .invalidValue,
            "respaldo.toml:4: retention: key \"keep_daily\": must be at least 0, found -7")
        assertError(
            Self.head + "[trust]\nsigners_file = \"/etc/respaldo/allowed_signers\"\nmax_age = \"36\"\n", .invalidValue,
            "respaldo.toml:5: trust: key \"max_age\": \"36\" is not a duration: write a number and a unit, such as \"36h\", \"2d\" or \"90m\"",
            checkFiles: false)
        assertError(
            Self.head + "[trust]\nsigners_file = \"/etc/respaldo/allowed_signers\"\n", .missingKey,
            "respaldo.toml:3: trust: key \"max_age\": required key is missing", checkFiles: false)
    }

    func testDuplicateNamesReportTheSecond() {
        let jobs = Self.head + """
            [[jobs]]
            name = "crm"
            source = "command"
            command = ["/bin/a"]

            [[jobs]]
            source = "command"
            command = ["/bin/b"]
            name = "crm"
            """
        assertError(
            jobs, .duplicateName,
            "respaldo.toml:11: jobs[1] \"crm\": key \"name\": duplicate job name \"crm\" (first defined on line 4)")
        let remotes = Self.head + remote + remote.replacingOccurrences(of: "sftp://backup@server", with: "sftp://b@other")
        assertError(
            remotes, .duplicateName,
            "respaldo.toml:9: remotes[1] \"geo\": key \"name\": duplicate remote name \"geo\" (first defined on line 4)")
    }
}
