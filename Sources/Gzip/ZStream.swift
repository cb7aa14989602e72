import CZlib

/// A heap-allocated `z_stream`: zlib records the stream's address at init and refuses to work
/// if it moves, so it can never live in a Swift value.
final class ZStream {
    let pointer: UnsafeMutablePointer<z_stream>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    var message: String {
        guard let msg = pointer.pointee.msg else { return "no message" }
        return String(cString: msg)
    }

    /// Points zlib at `input` for the duration of `body`. zlib never writes through next_in,
    /// so the cast away from const is sound.
    func withInput<R>(_ input: UnsafeRawBufferPointer, _ body: () throws -> R) rethrows -> R {
        pointer.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        pointer.pointee.avail_in = uInt(input.count)
        defer {
            pointer.pointee.next_in = nil
            pointer.pointee.avail_in = 0
        }
        return try body()
    }

    /// Runs `step` with a fresh output window of `scratch`, appending what zlib produced to
    /// `output`. Returns zlib's status.
    func step(
        scratch: UnsafeMutableRawBufferPointer, into output: inout [UInt8], _ step: () -> Int32
    ) -> Int32 {
        pointer.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
        pointer.pointee.avail_out = uInt(scratch.count)
        let status = step()
        let produced = scratch.count - Int(pointer.pointee.avail_out)
        if produced > 0 {
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<produced]))
        }
        return status
    }
}

/// Output window size: large enough that a chunk of input rarely needs more than one round.
let scratchSize = 256 * 1024
