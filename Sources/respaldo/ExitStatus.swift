import RespaldoCore

/// The exit statuses DESIGN.md fixes, decided here and nowhere else: 0 ok, 1 failed, 2 usage
/// or configuration, 75 locked (EX_TEMPFAIL: a wrapper script may try again later).
enum ExitStatus {
    static func of(_ kind: RespaldoError.Kind) -> Int32 {
        switch kind {
        case .usage: 2
        case .locked: 75
        case .failed: 1
        }
    }

    static func of(_ error: RespaldoError) -> Int32 { of(error.kind) }
}
