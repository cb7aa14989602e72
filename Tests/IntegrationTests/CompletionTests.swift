import Foundation
import XCTest

/// Shell completion as an operator gets it, in real bash, zsh and fish: the scripts that
/// scripts/completions.sh writes (the ones the Debian package installs) complete job names,
/// remotes and snapshot ids from the configuration the command line names, and paths.
final class CompletionTests: XCTestCase {
    private struct Setup {
        let ws: Workspace
        let scripts: String
        let environment: [String: String?]
        let id: String
    }

    private func setUp(_ label: String) throws -> Setup {
        let ws = try Workspace.make(for: self, label)
        // The remote need not exist: completion reads the configuration's text only.
        try ws.writeRawConfig(ws.header() + """
            [[remotes]]
            name = "geo-mx"
            url = "sftp://backup@192.0.2.1:22/srv/respaldo"
            identity_file = "/nonexistent/id"
            known_hosts = "/nonexistent/known_hosts"

            """ + Workspace.commandJob("crm", ["echo", "x"]) + Workspace.commandJob("web", ["echo", "y"]))
        // Backups need the remote's files to exist: one snapshot, taken without it.
        let plain = ws.path("plain.toml")
        try Files.write(plain, ws.header() + Workspace.commandJob("crm", ["echo", "x"]))
        let backup = try Subprocess.run(Respaldo.argv("backup", config: plain, ["crm"]), environment: Respaldo.environment(home: ws.root))
        try requireExit(backup, 0, "backup")
        let id = try XCTUnwrap(backup.stdoutLines.last)

        let scripts = ws.path("completions")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try Subprocess.checked(["bash", root + "/scripts/completions.sh", try Respaldo.binary(), scripts])
        // The scripts call `respaldo` back by the name typed.
        let bin = ws.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/respaldo", withDestinationPath: try Respaldo.binary())
        var environment = Respaldo.environment(home: ws.root)
        environment["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        environment["RESPALDO_CONFIG"] = ws.configPath
        return Setup(ws: ws, scripts: scripts, environment: environment, id: id)
    }

    /// The lines each shell offers for `line`, typed up to its end.
    private func bash(_ s: Setup, _ line: String) throws -> [String] {
        let program = """
            source "$1"; line="$2"; read -ra COMP_WORDS <<< "$line"; [[ "$line" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$line"; COMP_POINT=${#COMP_LINE}
            _respaldo respaldo "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try Subprocess.run(["bash", "-c", program, "_", s.scripts + "/respaldo.bash", line], environment: s.environment, timeout: 30)
        try requireExit(r, 0, "bash completion of \(line)")
        return r.stdoutLines
    }

    private func fish(_ s: Setup, _ line: String) throws -> [String] {
        try Tools.require("fish", package: "fish")
        let r = try Subprocess.run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", s.scripts + "/respaldo.fish", line],
                                   environment: s.environment, timeout: 30)
        try requireExit(r, 0, "fish completion of \(line)")
        return r.stdoutLines.map { String($0.split(separator: "\t").first ?? "") }
    }

    private func zsh(_ s: Setup, _ line: String) throws -> [String] {
        try Tools.require("zsh", package: "zsh")
        // An interactive zsh in a pseudo terminal (zsh/zpty) gets `line` and a TAB; compadd is
        // replaced by one that prints what it was given.
        let initFile = s.ws.path("zsh-init.zsh")
        try Files.write(initFile, """
            PROMPT=
            autoload -U compinit
            compinit -u -d \(s.ws.path("zcompdump"))
            bindkey '^I' complete-word
            mark() { print -r -- COMPLETION-MARK }
            compprefuncs=( mark )
            comppostfuncs=( mark exit )
            compadd() {
                local -a hits
                builtin compadd -A hits "$@"
                local h; for h in $hits; do print -r -- "$h"; done
            }
            """)
        let driver = """
            zmodload zsh/zpty || exit 1
            zpty z zsh -f -i
            zpty -w z "source ${(q)3}; compdef _respaldo respaldo; source ${(q)1}; echo ok-ready"
            repeat 50; do zpty -r z line; [[ $line == ok-ready* ]] && break; done
            zpty -w z "$2"$'\\t'
            integer seen=0
            while zpty -r -t z line 2>/dev/null || { sleep 0.2; zpty -r -t z line 2>/dev/null }; do
                if [[ $line == *COMPLETION-MARK* ]]; then (( seen++ )) && break || continue; fi
                (( seen )) && print -r -- ${line%$'\\r'}
            done
            """
        let r = try Subprocess.run(["zsh", "-f", "-c", driver, "_", s.scripts + "/_respaldo", line, initFile], environment: s.environment, timeout: 30)
        return r.stdoutLines
    }

    private func assertCompletes(_ shell: (Setup, String) throws -> [String], _ name: String, _ s: Setup, file: StaticString = #filePath, line: UInt = #line) throws {
        let jobs = try shell(s, "respaldo backup ")
        XCTAssertTrue(jobs.contains("crm") && jobs.contains("web"), "\(name): job names: \(jobs)", file: file, line: line)
        let named = try shell(s, "respaldo --config \(s.ws.configPath) drill w")
        XCTAssertEqual(Set(named), ["web"], "\(name): from the config named before the subcommand", file: file, line: line)
        let remotes = try shell(s, "respaldo upload crm --remote ")
        XCTAssertTrue(remotes.contains("geo-mx"), "\(name): remotes: \(remotes)", file: file, line: line)
        let ids = try shell(s, "respaldo restore crm-")
        XCTAssertTrue(ids.contains(s.id), "\(name): snapshot ids: \(ids)", file: file, line: line)
        let paths = try shell(s, "respaldo restore \(s.id) --output \(s.ws.path("comp"))")
        // bash and fish offer whole paths, zsh the last part.
        XCTAssertTrue(paths.contains { $0.contains("completions") }, "\(name): paths: \(paths)", file: file, line: line)
    }

    func testBashCompletesJobsRemotesSnapshotsAndPaths() throws {
        try assertCompletes(bash, "bash", try setUp("comp-bash"))
    }

    func testFishCompletesJobsRemotesSnapshotsAndPaths() throws {
        try assertCompletes(fish, "fish", try setUp("comp-fish"))
    }

    func testZshCompletesJobsRemotesSnapshotsAndPaths() throws {
        try assertCompletes(zsh, "zsh", try setUp("comp-zsh"))
    }
}
