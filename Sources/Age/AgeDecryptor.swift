import CryptoPrimitives

/// Streaming decryptor: accepts binary or ASCII-armored input (armor detected from the first bytes), releases plaintext
/// only after its chunk authenticated; `finish` fails if the stream ended before a final chunk or had trailing data.
///
/// Input may arrive in pieces of any size. Memory stays bounded: the header (at most 1 MiB),
/// one encrypted chunk, and with armor one line. Errors are `AgeError`s; after the first one
/// every further call throws the same error. Plaintext appended to `output` before an error
/// was authenticated, but the stream as a whole is only valid once `finish` returned.
///
/// Not `Sendable`, like `AgeEncryptor`: one owner at a time.
public final class AgeDecryptor {
    private enum Encoding { case detecting, binary, armored }
    private enum Stage { case header, nonce, payload, done }

    /// Binary age files start with this; anything else is treated as armor, so leading
    /// whitespace and garbage before an armor block are reported as armor failures.
    private static let binaryPrefix: [UInt8] = Array("age-encryption.org/".utf8)

    private let identities: [any Identity]
    private var encoding = Encoding.detecting
    private var detected: [UInt8] = []
    private var armor = ArmorDecoder()
    private var decodedArmor: [UInt8] = []

    private var stage = Stage.header
    private var header = HeaderReader()
    private var fileKey: [UInt8] = []
    private var nonce: [UInt8] = []
    private var opener: StreamOpener?
    private var failure: AgeError?
    private var finished = false

    public init(identities: [any Identity]) {
        self.identities = identities
    }

    deinit {
        secureZero(&fileKey)
    }

    /// Decrypts `input`, appending every chunk that authenticated so far to `output`.
    public func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        try guarded {
            precondition(!self.finished, "AgeDecryptor.update called after finish")
            try self.feed(input, into: &output)
        }
    }

    /// Ends the input: decrypts the final chunk and checks nothing is missing. Only after this
    /// returns is the plaintext known to be complete.
    public func finish(into output: inout [UInt8]) throws {
        try guarded {
            precondition(!self.finished, "AgeDecryptor.finish called twice")
            self.finished = true
            switch self.encoding {
            case .detecting:
                // Too short to tell: treat as binary, which reports the truncated header.
                self.encoding = .binary
                let bytes = self.detected
                self.detected = []
                try bytes.withUnsafeBytes { try self.consumeBinary($0, into: &output) }
            case .armored:
                self.decodedArmor.removeAll(keepingCapacity: true)
                try self.armor.finish(into: &self.decodedArmor)
                try self.decodedArmor.withUnsafeBytes { try self.consumeBinary($0, into: &output) }
            case .binary:
                break
            }
            try self.finishBinary(into: &output)
        }
    }

    /// Makes errors sticky and maps anything unexpected into the AgeError classes.
    private func guarded(_ body: () throws -> Void) throws {
        if let failure { throw failure }
        do {
            try body()
        } catch let error as AgeError {
            failure = error
            throw error
        } catch {
            let mapped = AgeError.headerFailure("\(error)")
            failure = mapped
            throw mapped
        }
    }

    private func feed(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        var input = input
        if encoding == .detecting {
            var used = 0
            for byte in input {
                detected.append(byte)
                used += 1
                if byte != AgeDecryptor.binaryPrefix[detected.count - 1] {
                    encoding = .armored
                    break
                }
                if detected.count == AgeDecryptor.binaryPrefix.count {
                    encoding = .binary
                    break
                }
            }
            input = UnsafeRawBufferPointer(rebasing: input[used...])
            guard encoding != .detecting else { return }
            let replay = detected
            detected = []
            try replay.withUnsafeBytes { try feed($0, into: &output) }
        }
        switch encoding {
        case .binary:
            try consumeBinary(input, into: &output)
        case .armored:
            decodedArmor.removeAll(keepingCapacity: true)
            try armor.update(input, into: &decodedArmor)
            try decodedArmor.withUnsafeBytes { try consumeBinary($0, into: &output) }
        case .detecting:
            break
        }
    }

    private func consumeBinary(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        var rest = input
        if stage == .header {
            let used = try header.consume(rest)
            rest = UnsafeRawBufferPointer(rebasing: rest[used...])
            guard header.isComplete else { return }
            try unwrapFileKey()
            stage = .nonce
        }
        if stage == .nonce {
            let n = min(AgeConstants.payloadNonceSize - nonce.count, rest.count)
            nonce += UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<rest.startIndex + n])
            rest = UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + n)...])
            guard nonce.count == AgeConstants.payloadNonceSize else { return }
            var key = try payloadKey(fileKey: fileKey, nonce: nonce)
            defer { secureZero(&key) }
            secureZero(&fileKey)
            opener = try StreamOpener(key: key)
            stage = .payload
        }
        if stage == .payload, !rest.isEmpty {
            try opener!.update(rest, into: &output)
        }
    }

    private func finishBinary(into output: inout [UInt8]) throws {
        switch stage {
        case .header:
            throw AgeError.headerFailure(header.bytes.isEmpty ? "empty input" : "unexpected end of input inside the header")
        case .nonce:
            // Go age reports this from Decrypt itself, before any payload: a header failure.
            throw AgeError.headerFailure("missing or short payload nonce")
        case .payload:
            try opener!.finish(into: &output)
            stage = .done
        case .done:
            break
        }
    }

    /// Recovers the file key from the stanzas and verifies the header MAC with it.
    private func unwrapFileKey() throws {
        let stanzas = header.stanzas
        guard !stanzas.isEmpty else { throw AgeError.headerFailure("no recipient stanzas") }
        if stanzas.contains(where: { $0.type == "scrypt" }), stanzas.count != 1 {
            throw AgeError.headerFailure("an scrypt stanza must be the only stanza in the header")
        }
        var key: [UInt8]?
        for identity in identities {
            if let unwrapped = try identity.unwrap(stanzas: stanzas) {
                key = unwrapped
                break
            }
        }
        guard var key else { throw AgeError.noMatch }
        defer { secureZero(&key) }
        guard key.count == AgeConstants.fileKeySize else {
            throw AgeError.headerFailure("unwrapped file key is \(key.count) bytes, not \(AgeConstants.fileKeySize)")
        }
        // The MAC is checked only now, with the file key: it proves the whole header (every
        // stanza, not only ours) was written by someone who knew the file key.
        var macKey = try headerMACKey(fileKey: key)
        defer { secureZero(&macKey) }
        let expected = HMACSHA256.authenticate(key: macKey, message: Array(header.macInput))
        guard constantTimeEquals(expected, header.mac) else { throw AgeError.hmacFailure }
        fileKey = key
        header = HeaderReader()  // release the header bytes; only the payload follows
    }
}
