import Storage

/// Errors that end a command. Only the command line turns them into exit statuses
/// (DESIGN.md), from `kind`; code below it asks the case, never a number.
public enum RespaldoError: Error, CustomStringConvertible {
    /// A bad command line or configuration.
    case usage(String)
    /// Another run holds the job's lock.
    case locked(job: String, lockFile: String)
    /// The operation failed or found a problem.
    case failed(String)
    /// The operation failed because of another error, which stays inspectable: its
    /// permanence can decide a retry, and the cause's own type outlives the message.
    case operationFailed(OperationFailure)

    /// How an error ends a command. Usage errors and a held lock end it before the run
    /// started: such a run is neither recorded nor alerted, and usage errors are the
    /// operator's to fix at the command line.
    public enum Kind: Sendable, Equatable {
        case usage, locked, failed
    }

    public var description: String {
        switch self {
        case let .usage(message), let .failed(message): message
        case let .locked(job, lockFile): "job \(job) is already running (lock \(lockFile) is held)"
        case let .operationFailed(failure): failure.description
        }
    }

    /// A wrapper is a failure of its own operation whatever it wraps: a lock met inside an
    /// operation that had started is that operation's failure.
    public var kind: Kind {
        switch self {
        case .usage: .usage
        case .locked: .locked
        case .failed, .operationFailed: .failed
        }
    }

    /// Any error's kind: a configuration error is a usage error, and an error that is no
    /// RespaldoError is a failure.
    public static func kind(of error: any Error) -> Kind {
        switch error {
        case let error as RespaldoError: error.kind
        case is ConfigError: .usage
        default: .failed
        }
    }

    /// Another run holds the job's lock: this one never started.
    public var isLockHeld: Bool { kind == .locked }

    /// The error this one wraps, if it wraps one.
    public var underlying: (any Error)? {
        if case let .operationFailed(failure) = self { failure.cause } else { nil }
    }

    /// The innermost error under every wrapper (this error itself when it wraps none).
    public var rootCause: any Error {
        var error: any Error = self
        while let inner = (error as? RespaldoError)?.underlying { error = inner }
        return error
    }

    /// True when trying again cannot help, as far as the root cause tells: a storage error
    /// keeps its own verdict through any number of wrappers, and a usage error holds until
    /// the operator changes something. Anything else (a held lock, a failed dump) may pass.
    public var isPermanent: Bool {
        switch rootCause {
        case let storage as StorageError: storage.isPermanent
        case RespaldoError.usage, is ConfigError: true
        default: false
        }
    }
}

/// What a wrapped failure keeps: the operation, what it acted on, and the error that made it
/// fail. Its message is worded as users have always read it, the cause's text included.
public struct OperationFailure: Sendable, CustomStringConvertible {
    /// "upload", "restore", "prune": what was being done.
    public let operation: String
    /// What it was done to: "crm-20261121T070000Z to geo".
    public let object: String
    public let cause: any Error
    private let wording: @Sendable (_ cause: String) -> String

    /// "<operation> of <object> failed: <cause>", then "; <advice>" when there is advice.
    public init(operation: String, object: String, cause: any Error, advice: String? = nil) {
        self.init(operation: operation, object: object, cause: cause) { cause in
            "\(operation) of \(object) failed: \(cause)" + (advice.map { "; \($0)" } ?? "")
        }
    }

    /// A message of another shape: `message` words it around the cause's text.
    public init(operation: String, object: String, cause: any Error, message: @escaping @Sendable (_ cause: String) -> String) {
        self.operation = operation
        self.object = object
        self.cause = cause
        wording = message
    }

    public var description: String { wording("\(cause)") }
}
