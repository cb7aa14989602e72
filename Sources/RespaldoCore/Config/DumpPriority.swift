/// How much of the machine a job's dump may take from the rest (`nice`, `ionice`): a nightly
/// pg_dump competing with the application it backs up should lose. Only lowering is offered:
/// raising a priority needs privileges the service (rightly) lacks.
public struct DumpPriority: Sendable, Equatable {
    /// The I/O scheduling class (ioprio_set(2)); `realtime` needs CAP_SYS_ADMIN and is not offered.
    public enum IOClass: Sendable, Equatable, CustomStringConvertible {
        /// Disk time only when no one else wants it.
        case idle
        /// The ordinary class, at a level from 0 (first) to 7 (last); 4 is the default.
        case bestEffort(level: Int)

        public var description: String {
            switch self {
            case .idle: "idle"
            case let .bestEffort(level): "best-effort:\(level)"
            }
        }

        /// `idle`, `best-effort` (level 7, the lowest) or `best-effort:N`.
        static func parse(_ text: String) -> IOClass? {
            if text == "idle" { return .idle }
            if text == "best-effort" { return .bestEffort(level: 7) }
            guard text.hasPrefix("best-effort:"), let level = Int(text.dropFirst("best-effort:".count)), (0...7).contains(level) else {
                return nil
            }
            return .bestEffort(level: level)
        }
    }

    /// The nice value, 0 (as usual) to 19 (only what no one else wants).
    public var nice: Int?
    public var io: IOClass?

    public init(nice: Int? = nil, io: IOClass? = nil) {
        self.nice = nice
        self.io = io
    }

    public var isDefault: Bool { nice == nil && io == nil }
}
