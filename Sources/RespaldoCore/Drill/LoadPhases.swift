import Foundation

/// What the drill's progress line says while a dump loads: for a PostgreSQL dump, the section
/// psql is in (PgDumpSections); for every loader, once the last byte went in, that the loader
/// is still at work. Without it the line sits at 100% while psql builds indexes, and looks hung.
struct LoadPhases {
    let job: JobConfig
    let meter: ProgressMeter?

    /// The loader as an operator knows it.
    private var loader: String {
        if let command = job.drill?.restoreCommand?.first { return URL(fileURLWithPath: command).lastPathComponent }
        switch job.source {
        case .postgres: return "psql"
        case .mysql: return "mysql"
        case .files: return "tar"
        case .command: return "restore_command"
        }
    }

    /// `next`, with the meter's phase following the dump.
    func watching(_ next: @escaping () throws -> [UInt8]?) -> () throws -> [UInt8]? {
        guard let meter else { return next }
        let loader = self.loader
        let sections: PgDumpSections? = if case .postgres = job.source { PgDumpSections(tool: loader) { meter.setPhase($0) } } else { nil }
        var ended = false
        return {
            let chunk = try next()
            if let chunk {
                sections?.feed(chunk)
            } else if !ended {
                ended = true
                if sections == nil { meter.setPhase("\(loader): finishing the load") }
            }
            return chunk
        }
    }
}
