/// age's ASCII armor: strict PEM with the label "AGE ENCRYPTED FILE", padded standard base64
/// in 64-column lines, no headers and no checksum.
///
/// The reader is as strict as Go age's, so an armored file has exactly one accepted encoding:
/// besides LF or CRLF line endings and up to 1 KiB of whitespace around the block, any
/// deviation (empty or over-long lines, a short line before the last, spaces, bad padding,
/// another label, garbage outside) is an armor failure.
enum Armor {
    static let header: [UInt8] = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let footer: [UInt8] = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let columnsPerLine = 64
    static let bytesPerLine = 48
    static let maxWhitespace = 1024

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)  // space, \t \n \v \f \r
    }
}

/// Streaming armor encoder.
struct ArmorEncoder {
    private var started = false
    private var pending: [UInt8] = []  // fewer than 48 bytes not yet written as a line

    private mutating func start(into output: inout [UInt8]) {
        if !started {
            output += Armor.header
            output.append(0x0a)
            started = true
        }
    }

    mutating func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        start(into: &output)
        var offset = 0
        while offset < input.count {
            let n = min(Armor.bytesPerLine - pending.count, input.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<offset + n]))
            offset += n
            if pending.count == Armor.bytesPerLine {
                output += Base64.encode(pending, padded: true)
                output.append(0x0a)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Writes the last (short, padded) line if any, then the footer.
    mutating func finish(into output: inout [UInt8]) {
        start(into: &output)
        if !pending.isEmpty {
            output += Base64.encode(pending, padded: true)
            output.append(0x0a)
            pending.removeAll()
        }
        output += Armor.footer
        output.append(0x0a)
    }
}

/// Streaming armor decoder: takes armored bytes in any pieces, emits the decoded bytes line by
/// line. Memory is bounded by one line (lines longer than any valid one are refused).
struct ArmorDecoder {
    private enum State {
        case leading   // whitespace lines before the BEGIN line
        case body      // data lines
        case closing   // after a short line: only the END line may follow
        case trailing  // after the END line: only whitespace may follow
    }

    private var state = State.leading
    private var line: [UInt8] = []
    private var leadingWhitespace = 0
    private var trailingWhitespace = 0

    mutating func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        for byte in input {
            if state == .trailing {
                guard Armor.isWhitespace(byte) else {
                    throw AgeError.armorFailure("data after the END line")
                }
                trailingWhitespace += 1
                guard trailingWhitespace < Armor.maxWhitespace else {
                    throw AgeError.armorFailure("too much trailing whitespace")
                }
                continue
            }
            if byte == 0x0a {
                try processLine(into: &output)
                line.removeAll(keepingCapacity: true)
                continue
            }
            line.append(byte)
            // No valid line is longer than the leading-whitespace allowance.
            guard line.count <= Armor.maxWhitespace + 1 else {
                throw AgeError.armorFailure("line too long")
            }
        }
    }

    /// Handles a last line without a newline and checks the END line was seen.
    mutating func finish(into output: inout [UInt8]) throws {
        if state != .trailing, !line.isEmpty {
            try processLine(into: &output)
            line.removeAll()
        }
        guard state == .trailing else {
            throw AgeError.armorFailure("unexpected end of input (missing END line)")
        }
    }

    private mutating func processLine(into output: inout [UInt8]) throws {
        var text = line[...]
        if text.last == 0x0d { text = text.dropLast() }  // CRLF line endings are accepted
        switch state {
        case .leading:
            if text.allSatisfy(Armor.isWhitespace) {
                leadingWhitespace += line.count + 1
                guard leadingWhitespace <= Armor.maxWhitespace else {
                    throw AgeError.armorFailure("too much leading whitespace")
                }
                return
            }
            guard text.elementsEqual(Armor.header) else {
                // Input that is not binary age is read as armor, so this is also what any
                // non-age input (a plain gzip file, say) reports.
                throw AgeError.armorFailure("not an age file: no binary age header and no \"-----BEGIN AGE ENCRYPTED FILE-----\" line")
            }
            state = .body
        case .body:
            if text.elementsEqual(Armor.footer) {
                state = .trailing
                return
            }
            guard !text.isEmpty else { throw AgeError.armorFailure("empty line") }
            guard text.count <= Armor.columnsPerLine else {
                throw AgeError.armorFailure("line longer than \(Armor.columnsPerLine) columns")
            }
            guard let decoded = Base64.decode(text, padded: true) else {
                throw AgeError.armorFailure("invalid base64 line")
            }
            output += decoded
            if decoded.count < Armor.bytesPerLine { state = .closing }
        case .closing:
            guard text.elementsEqual(Armor.footer) else {
                throw AgeError.armorFailure("a short line must be followed by the END line")
            }
            state = .trailing
        case .trailing:
            break  // handled byte by byte in update
        }
    }
}
