import XCTest

@testable import RespaldoCore

/// What the line filter tests share: running a fresh filter over an input in given pieces,
/// and the same input split at every byte position.
enum FilterOutcome: Equatable, CustomStringConvertible {
    /// Everything passed on (concatenated).
    case passed(String)
    /// The error's message.
    case refused(String)

    var description: String {
        switch self {
        case let .passed(text): "passed \(text.debugDescription)"
        case let .refused(message): "refused: \(message)"
        }
    }
}

enum FilterHarness {
    /// Feeds `pieces` to a new filter, then finishes it.
    static func run(_ make: () -> any DumpLineFilter, _ pieces: [[UInt8]]) -> FilterOutcome {
        let filter = make()
        var output: [UInt8] = []
        do {
            for piece in pieces { output += try filter.feed(piece) }
            try filter.finish()
        } catch {
            return .refused("\(error)")
        }
        return .passed(String(decoding: output, as: UTF8.self))
    }

    static func run(_ make: () -> any DumpLineFilter, _ text: String) -> FilterOutcome {
        run(make, [Array(text.utf8)])
    }

    /// The outcome of `text` in one piece, asserting that the same comes out when it is split
    /// at any one byte position, and when it is fed one byte at a time.
    static func outcome(_ make: () -> any DumpLineFilter, _ text: String, file: StaticString = #filePath, line: UInt = #line) -> FilterOutcome {
        let input = Array(text.utf8)
        let whole = run(make, [input])
        for cut in 0...input.count {
            let split = run(make, [Array(input[..<cut]), Array(input[cut...])])
            if split != whole {
                XCTFail("split at byte \(cut): \(split), in one piece: \(whole)", file: file, line: line)
                break
            }
        }
        let bytes = run(make, input.map { [$0] })
        XCTAssertEqual(bytes, whole, "fed one byte at a time", file: file, line: line)
        return whole
    }

    /// Feeds `prefix`, then `count` bytes of `filler` in 64 KiB pieces, then `suffix`, checking
    /// after every piece that the filter holds at most `bound` bytes. Returns the bytes passed
    /// on, the bytes fed up to and including the piece that was refused, and the refusal.
    static func longLine(_ filter: any DumpLineFilter, heldBytes: () -> Int, prefix: String, filler: UInt8, count: Int, suffix: String,
                         bound: Int, file: StaticString = #filePath, line: UInt = #line) -> (passed: Int, fed: Int, error: (any Error)?) {
        var passed = 0
        var fed = 0
        do {
            passed += try filter.feed(Array(prefix.utf8)).count
            fed += prefix.utf8.count
            let piece = [UInt8](repeating: filler, count: 65536)
            var left = count
            while left > 0 {
                let size = min(left, piece.count)
                fed += size
                passed += try filter.feed(size == piece.count ? piece : Array(piece[..<size])).count
                left -= size
                XCTAssertLessThanOrEqual(heldBytes(), bound, "held after \(count - left) bytes of the long line", file: file, line: line)
            }
            fed += suffix.utf8.count
            passed += try filter.feed(Array(suffix.utf8)).count
            try filter.finish()
        } catch {
            return (passed, fed, error)
        }
        return (passed, fed, nil)
    }
}
