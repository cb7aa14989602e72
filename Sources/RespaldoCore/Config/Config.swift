import Age
import Foundation
import Storage

/// The validated configuration: everything in it has been checked, so the rest of respaldo
/// never re-validates a key. Built by `Config.load(path:)` (ConfigLoader.swift).
public struct Config: Sendable {
    /// The file this configuration came from (used in messages).
    public var path: String
    public var localDir: String
    public var stateDir: String
    /// `timezone`, else the system's zone (when the file was loaded). Each job has its own
    /// resolved zone (`JobConfig.timeZone`); this one is for what belongs to no job.
    public var timeZone: TimeZone
    public var encryption: EncryptionConfig?
    public var retention: RetentionPolicy
    public var remotes: [RemoteConfig]
    public var jobs: [JobConfig]
    public var notify: NotifyConfig?
    public var metrics: MetricsConfig?
    /// How many runs the daemon starts at once (`max_parallel`, default 1).
    public var maxParallel: Int = 1
    public var signing: SigningConfig?
    public var trust: TrustConfig?
    /// Every file the configuration names, for checks of who may read them (check-config).
    public var files: [NamedFile] = []

    public init(
        path: String, localDir: String, stateDir: String, timeZone: TimeZone,
        encryption: EncryptionConfig?, retention: RetentionPolicy, remotes: [RemoteConfig],
        jobs: [JobConfig], notify: NotifyConfig?, metrics: MetricsConfig?
    ) {
        self.path = path
        self.localDir = localDir
        self.stateDir = stateDir
        self.timeZone = timeZone
        self.encryption = encryption
        self.retention = retention
        self.remotes = remotes
        self.jobs = jobs
        self.notify = notify
        self.metrics = metrics
    }

    public func job(named name: String) -> JobConfig? { jobs.first { $0.name == name } }

    /// The job named `name`; a usage error naming the file when there is none.
    public func requiredJob(named name: String) throws -> JobConfig {
        guard let job = job(named: name) else { throw RespaldoError.usage("no job named \"\(name)\" in \(path)") }
        return job
    }

    /// The job named `name` (as `requiredJob`), or every job when `name` is nil.
    public func jobs(named name: String?) throws -> [JobConfig] {
        try name.map { [try requiredJob(named: $0)] } ?? jobs
    }
    public func remote(named name: String) -> RemoteConfig? { remotes.first { $0.name == name } }
}

public enum EncryptionConfig: Sendable, Equatable {
    /// age X25519 recipients (`age1…`), from `recipients` and/or `recipients_file`, each once,
    /// in the order of the file.
    case recipients([X25519Recipient])
    /// age scrypt: the passphrase file's path (read when a backup runs; it must be private).
    case passphraseFile(String)
}

public struct RetentionPolicy: Sendable, Equatable {
    public var keepLast: Int
    public var keepDaily: Int
    public var keepWeekly: Int
    public var keepMonthly: Int
    public var keepYearly: Int

    public init(keepLast: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0, keepYearly: Int = 0) {
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
    }

    /// No `[retention]` table: keep everything.
    public var keepsEverything: Bool { keepLast + keepDaily + keepWeekly + keepMonthly + keepYearly == 0 }
}

public struct RemoteConfig: Sendable, Equatable {
    public var name: String
    /// `url` as written (`sftp://…` or `s3://…`), for messages.
    public var url: String
    /// An SFTP remote's `url`, parsed; nil for S3.
    public var endpoint: SFTPEndpoint?
    public var identityFile: String
    public var knownHosts: String?
    /// The pinned `host_key_sha256`.
    public var hostKey: HostKeyFingerprint?
    public var retries: Int
    public var retryDelay: Double
    /// This host never deletes, replaces or rewrites anything there; another host prunes.
    public var appendOnly = false
    /// Upload cap in bytes per second.
    public var bandwidthLimit: Int64?
    /// Set for an S3-compatible remote (`url = "s3://bucket/prefix"`); nil for SFTP, whose
    /// settings are the fields above.
    public var s3: S3RemoteConfig?

    /// An SFTP remote.
    public init(
        name: String, endpoint: SFTPEndpoint, identityFile: String, knownHosts: String?, hostKey: HostKeyFingerprint?,
        retries: Int = 4, retryDelay: Double = 5
    ) {
        self.init(name: name, url: endpoint.text, retries: retries, retryDelay: retryDelay)
        self.endpoint = endpoint
        self.identityFile = identityFile
        self.knownHosts = knownHosts
        self.hostKey = hostKey
    }

    /// A remote with neither endpoint nor keys yet: an S3 remote sets `s3`, and the loader
    /// builds the remote whose URL it refused from it (for the checks that follow).
    init(name: String, url: String, retries: Int, retryDelay: Double) {
        self.name = name
        self.url = url
        self.identityFile = ""
        self.retries = retries
        self.retryDelay = retryDelay
    }
}

public struct DatabaseSource: Sendable, Equatable {
    public var database: String
    public var host: String?
    public var port: Int?
    public var user: String?
    public var dumpArgs: [String]
    /// A file holding the password; passed to the dump tool through its environment or a
    /// defaults file, never through argv.
    public var passwordFile: String?

    public init(database: String, host: String? = nil, port: Int? = nil, user: String? = nil, dumpArgs: [String] = [], passwordFile: String? = nil) {
        self.database = database
        self.host = host
        self.port = port
        self.user = user
        self.dumpArgs = dumpArgs
        self.passwordFile = passwordFile
    }
}

public enum SourceConfig: Sendable, Equatable {
    case postgres(DatabaseSource)
    case mysql(DatabaseSource)
    case files(paths: [String])
    case command(argv: [String])

    public var kind: String {
        switch self {
        case .postgres: "postgres"
        case .mysql: "mysql"
        case .files: "files"
        case .command: "command"
        }
    }
}

/// When a job's snapshot goes to its remotes: after the local copy is complete, or streamed
/// while it is written.
public enum UploadMode: String, Sendable, Equatable {
    case after, streaming
}

public enum SanityMode: String, Sendable, Equatable {
    case fail, warn
}

public struct DrillConfig: Sendable, Equatable {
    public var checks: [String]
    /// When the daemon runs the drill (on a DR host); nil: only by hand.
    public var schedule: Schedule?
    public var host: String?
    public var port: Int?
    public var user: String?
    public var identityFile: String?
    public var restoreCommand: [String]?
    /// The scratch server's password (a DR server's own); the job's password_file when absent.
    public var passwordFile: String?

    public init(checks: [String] = [], schedule: Schedule? = nil, host: String? = nil, port: Int? = nil, user: String? = nil, identityFile: String? = nil, restoreCommand: [String]? = nil, passwordFile: String? = nil) {
        self.checks = checks
        self.schedule = schedule
        self.host = host
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.restoreCommand = restoreCommand
        self.passwordFile = passwordFile
    }
}

public struct JobConfig: Sendable, Equatable {
    public var name: String
    /// `"HH:MM"` or 5-field cron (its `text` is what the file says, for messages); nil for a
    /// job that only runs by hand.
    public var schedule: Schedule?
    /// The zone of its schedules and of retention's calendar: its own `timezone`, else the
    /// configuration's, else the system's. Decided once, by the loader.
    public var timeZone: TimeZone
    public var source: SourceConfig
    public var compressionLevel: Int
    /// Compression worker threads; nil: one per core.
    public var compressionThreads: Int?
    public var uploadMode: UploadMode = .after
    public var remotes: [String]
    public var minBytes: Int64
    public var maxShrink: Double?
    public var sanity: SanityMode
    public var drill: DrillConfig?
    /// `nice` and `ionice` for the dump process.
    public var priority = DumpPriority()
    /// Seconds a run may take, dump to last upload (`timeout`; JobTimeout.swift has the default).
    public var timeout: ConfigDuration = JobConfig.defaultTimeout

    public init(name: String, schedule: Schedule? = nil, timeZone: TimeZone, source: SourceConfig, compressionLevel: Int = 6, remotes: [String] = [], minBytes: Int64 = 1, maxShrink: Double? = nil, sanity: SanityMode = .fail, drill: DrillConfig? = nil) {
        self.name = name
        self.schedule = schedule
        self.timeZone = timeZone
        self.source = source
        self.compressionLevel = compressionLevel
        self.remotes = remotes
        self.minBytes = minBytes
        self.maxShrink = maxShrink
        self.sanity = sanity
        self.drill = drill
    }
}

public struct NotifyConfig: Sendable, Equatable {
    public var webhookURL: String?
    public var smtpURL: String?
    public var mailFrom: String?
    public var mailTo: [String]
    public var smtpCredentialsFile: String?
    public var pingURL: String?
    /// The statuses alerts are sent for (`on`, by their raw values).
    public var on: Set<AlertStatus>
    /// PEM CA certificates trusted instead of the system's for the TLS of all three targets
    /// (a private CA). There is no way to turn the certificate check off.
    public var caFile: String?

    public init(webhookURL: String? = nil, smtpURL: String? = nil, mailFrom: String? = nil, mailTo: [String] = [], smtpCredentialsFile: String? = nil, pingURL: String? = nil, on: Set<AlertStatus> = [.failure], caFile: String? = nil) {
        self.webhookURL = webhookURL
        self.smtpURL = smtpURL
        self.mailFrom = mailFrom
        self.mailTo = mailTo
        self.smtpCredentialsFile = smtpCredentialsFile
        self.pingURL = pingURL
        self.on = on
        self.caFile = caFile
    }
}

public struct MetricsConfig: Sendable, Equatable {
    public var textfile: String
    public init(textfile: String) { self.textfile = textfile }
}
