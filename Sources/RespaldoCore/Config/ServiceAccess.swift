import Foundation

/// What the service user must be able to reach for the configuration to work: read the config
/// and every file it names, write local_dir and state_dir (and the metrics folder). Each
/// failure is a `ConfigError` at the key that names the file, with the command that fixes it.
public enum ServiceAccess {
    public static func problems(_ config: Config, for user: ServiceUser) -> [ConfigError] {
        var problems: [ConfigError] = []
        let configFile = NamedFile(path: config.path, what: "config file", isSecret: false, line: nil, context: nil, key: "")
        for file in [configFile] + config.files {
            guard let problem = user.problem(.read, path: file.path, isSecret: file.isSecret) else { continue }
            problems.append(ConfigError(
                kind: .insecurePermissions, file: config.path, line: file.line, context: file.context,
                key: file.key.isEmpty ? nil : file.key, message: "\(file.path): the \(file.what) is \(problem)"))
        }
        var folders = [("local_dir", config.localDir), ("state_dir", config.stateDir)]
        if let metrics = config.metrics {
            folders.append(("metrics.textfile", (metrics.textfile as NSString).deletingLastPathComponent))
        }
        for (key, folder) in folders {
            guard let problem = user.problem(.writeFolder, path: folder) else { continue }
            problems.append(ConfigError(kind: .insecurePermissions, file: config.path, key: key, message: "\(folder): \(problem)"))
        }
        return problems
    }
}
