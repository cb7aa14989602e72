import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What a run that died without ending (SIGKILL, a crash, a power cut) left behind, removed by
/// the next run of its job under the job's lock, before that run starts anything:
/// - its secret folder `<state_dir>/run/<job>/`: a pgpass or my.cnf holding a password;
/// - what is left of its dump's process group. The dump itself died with respaldo
///   (PR_SET_PDEATHSIG, Spawner.swift), but what the dump started (a command job's background
///   `sleep`, a pipeline's other half) did not; `RunActivity` recorded the group;
/// - its activity record.
/// Each is logged: a crash should not pass unnoticed.
enum StaleRun {
    static func cleanUp(stateDir: String, job: String, logger: Logger) {
        if let previous = RunActivity.load(stateDir: stateDir, job: job) {
            if previous.isLive {
                // Not possible while this run holds the lock, unless the lock file was removed
                // under a running respaldo: then that run is not ours to kill.
                logger.warning("job \(job): the run of pid \(previous.pid) started at \(RFC3339.format(previous.startedAt, in: .current)) is still alive; its files are left alone")
                return
            }
            logger.warning("job \(job): the previous run (pid \(previous.pid), started \(RFC3339.format(previous.startedAt, in: .current))) ended without finishing: it was killed or crashed")
            killLeftovers(of: previous, logger: logger)
            RunActivity.remove(stateDir: stateDir, job: job)
        }
        let folder = StateDirectory(root: stateDir).runDirectory(job: job)
        var info = stat()
        guard lstat(folder, &info) == 0 else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? []
        do {
            try FileManager.default.removeItem(atPath: folder)
            logger.warning("job \(job): removed stale secret files of an interrupted run from \(folder)\(names.isEmpty ? "" : ": " + names.joined(separator: ", "))")
        } catch {
            logger.error("job \(job): cannot remove the stale secret folder \(folder) of an interrupted run: \(error)")
        }
    }

    /// Kills the rest of the recorded dump group, if it is provably that group: same boot, and
    /// either its leader is gone (a group id stays reserved while the group has members, so no
    /// newer process can hold it) or the leader is the very process recorded.
    private static func killLeftovers(of previous: RunActivity, logger: Logger) {
        guard let group = previous.dumpGroup, group > 1, let boot = previous.bootID, boot == ProcFS.bootID() else { return }
        if let leader = ProcFS.startTicks(group), leader != previous.dumpStartTicks { return }
        let members = ProcFS.members(ofGroup: group)
        guard !members.isEmpty else { return }
        kill(-group, SIGKILL)
        logger.warning("job \(previous.job): killed \(members.count) process\(members.count == 1 ? "" : "es") left running by the interrupted run's dump (process group \(group): pid \(members.map(String.init).joined(separator: ", ")))")
    }
}
