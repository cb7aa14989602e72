import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scratch folder (0700, inside the drill's private work folder): a files job's tar archive
/// is extracted into it; a command job's restore_command reads the dump on stdin and finds the
/// folder in RESPALDO_DRILL_DIR. Checks are paths that must exist in it.
final class FolderDrillTarget: DrillTarget {
    enum Loader {
        /// GNU tar; the job's paths are the automatic checks.
        case tar(jobPaths: [String])
        /// `[jobs.drill] restore_command`.
        case command([String])
    }

    let folder: String
    private let loader: Loader
    private let runner: ToolRunner

    init(folder: String, loader: Loader, runner: ToolRunner) {
        self.folder = folder
        self.loader = loader
        self.runner = runner
    }

    var description: String { "scratch folder \(folder)" }

    func create() throws {
        guard mkdir(folder, 0o700) == 0 else { throw DrillError.io(operation: "creating scratch folder", path: folder, errno) }
    }

    func load(from next: () throws -> [UInt8]?) throws {
        switch loader {
        case .tar:
            // Members are relative (the backup stored them so); ownership is the drill's own.
            try runner.load(["tar", "--extract", "--file=-", "--directory=\(folder)", "--no-same-owner", "--delay-directory-restore"],
                            environment: [:], operation: "extracting the archive into \(folder)", from: next)
        case let .command(argv):
            try runner.load(argv, environment: ["RESPALDO_DRILL_DIR": folder],
                            operation: "running restore_command \(argv[0])", from: next)
        }
    }

    func automaticChecks(recorded: [TableRowCount]?) throws -> (summary: String, checks: [DrillCheck]) {
        switch loader {
        case let .tar(paths):
            return ("each of the job's \(paths.count) path\(paths.count == 1 ? "" : "s") exists in the extracted archive",
                    paths.map { check($0, kind: "path") })
        case .command:
            return ("restore_command exited 0 (no tables to count)", [])
        }
    }

    /// A path (absolute as on the backed-up host, or relative) that must exist in the folder.
    func configuredCheck(_ path: String) throws -> DrillCheck {
        check(path, kind: "path")
    }

    func drop() throws {
        try removeTree(folder)
    }

    func leftovers() -> [String] { [] }

    private func check(_ path: String, kind: String) -> DrillCheck {
        let relative = path.split(separator: "/").filter { $0 != "." }
        guard !relative.contains("..") else {
            return DrillCheck(kind: kind, name: path, ok: false, detail: "a check path must not contain \"..\"")
        }
        let full = ([folder] + relative.map(String.init)).joined(separator: "/")
        var info = stat()
        guard lstat(full, &info) == 0 else {
            return DrillCheck(kind: kind, name: path, ok: false, detail: "missing from the restore")
        }
        let what = switch info.st_mode & S_IFMT {
        case S_IFDIR: "folder"
        case S_IFLNK: "symbolic link"
        case S_IFREG: "file of \(formatBytes(Int64(info.st_size)))"
        default: "special file"
        }
        return DrillCheck(kind: kind, name: path, ok: true, detail: "restored (\(what))")
    }
}

/// Removes a folder and everything in it, making folders writable first (an archive can hold
/// read-only ones, which would stop the removal of what is inside). Never follows links.
func removeTree(_ path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        chmod(path, 0o700)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names { try removeTree(path + "/" + name) }
        guard rmdir(path) == 0 else { throw DrillError.io(operation: "removing", path: path, errno) }
    } else {
        guard unlink(path) == 0 || errno == ENOENT else { throw DrillError.io(operation: "removing", path: path, errno) }
    }
}
