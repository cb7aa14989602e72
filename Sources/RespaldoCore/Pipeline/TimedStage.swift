import Foundation
import Synchronization

/// Seconds of work added up across pipeline stages that run on different threads.
final class BusyClock: Sendable {
    private let total = Mutex<Double>(0)

    func add(_ seconds: Double) {
        total.withLock { $0 += seconds }
    }

    var seconds: Double { total.withLock { $0 } }
}

/// Runs a stage and adds the time it spends in `process` and `finish` to a clock: in a
/// streaming pipeline, wall time cannot tell one overlapping stage's share from another's.
/// Time spent handing output on (waiting for a slower stage downstream) is not counted.
final class TimedStage: EmittingTransform {
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

    func process(_ chunk: [UInt8], emit: ([UInt8]) throws -> Void) throws {
        guard let emitting = stage as? any EmittingTransform else { return try emit(process(chunk)) }
        let start = DispatchTime.now().uptimeNanoseconds
        var waiting: UInt64 = 0
        try emitting.process(chunk) { piece in
            let handOff = DispatchTime.now().uptimeNanoseconds
            defer { waiting += DispatchTime.now().uptimeNanoseconds - handOff }
            try emit(piece)
        }
        clock.add(Double(DispatchTime.now().uptimeNanoseconds - start - waiting) / 1e9)
    }

    func finish() throws -> [UInt8] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { clock.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try stage.finish()
    }
}
