import Foundation

/// Seconds of work added up across pipeline stages that run on different threads.
final class BusyClock: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Double = 0

    func add(_ seconds: Double) {
        lock.lock()
        total += seconds
        lock.unlock()
    }

    var seconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}

/// Runs a stage and adds the time it spends in `process` and `finish` to a clock: in a
/// streaming pipeline, wall time cannot tell one overlapping stage's share from another's.
final class TimedStage: ChunkTransform {
    private let stage: any ChunkTransform
    private let clock: BusyClock

    init(_ stage: any ChunkTransform, clock: BusyClock) {
        self.stage = stage
        self.clock = clock
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { clock.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try stage.process(chunk)
    }

    func finish() throws -> [UInt8] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { clock.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try stage.finish()
    }
}
