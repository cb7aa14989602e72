import CryptoPrimitives

private let headerMACLabel: [UInt8] = Array("header".utf8)
private let payloadKeyLabel: [UInt8] = Array("payload".utf8)

/// HMAC key for the header MAC: HKDF-SHA-256(file key, salt: empty, info: "header").
func headerMACKey(fileKey: [UInt8]) throws -> [UInt8] {
    try HKDFSHA256.deriveKey(ikm: fileKey, salt: [], info: headerMACLabel, count: 32)
}

/// Payload key: HKDF-SHA-256(file key, salt: the 16-byte nonce, info: "payload"). The random
/// nonce makes the payload key unique per file even if a file key were ever reused.
func payloadKey(fileKey: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
    try HKDFSHA256.deriveKey(ikm: fileKey, salt: nonce, info: payloadKeyLabel, count: 32)
}

/// Streaming encryptor. Output (the header first, then the 16-byte nonce, then STREAM chunks) is appended to `output`.
/// Holds at most one 64 KiB chunk of plaintext.
///
/// A fresh random file key is generated per encryptor, i.e. per file. With `armored: true` the
/// output is ASCII-armored (PEM); backups use the binary form. Errors are `AgeError.invalidKey`
/// for a bad recipient set and `CryptoError` for an OpenSSL failure.
///
/// Not `Sendable`: a stream in progress, for one owner at a time (who may hand it to another
/// thread with Threading's `HandOff`, never share it).
public final class AgeEncryptor {
    /// Header and nonce, written before the first payload bytes.
    private var preamble: [UInt8]?
    private let sealer: StreamSealer
    private var armor: ArmorEncoder?
    private var armorScratch: [UInt8] = []
    private var finished = false

    public init(recipients: [any Recipient], armored: Bool = false) throws {
        guard !recipients.isEmpty else { throw AgeError.invalidKey("no recipients") }
        // Checked before wrapping too, so a refused mix does not first cost an scrypt run.
        if recipients.count > 1, recipients.contains(where: { $0 is ScryptRecipient }) {
            throw AgeError.invalidKey("an scrypt (passphrase) recipient must be the only recipient")
        }
        var fileKey = secureRandomBytes(AgeConstants.fileKeySize)
        defer { secureZero(&fileKey) }

        var stanzas: [Stanza] = []
        for recipient in recipients {
            stanzas += try recipient.wrap(fileKey: fileKey)
        }
        if stanzas.contains(where: { $0.type == "scrypt" }), stanzas.count != 1 {
            throw AgeError.invalidKey("an scrypt (passphrase) recipient must be the only recipient")
        }
        // A stanza that would not parse back (spaces or control characters in an argument)
        // would produce a file nobody can decrypt: refuse it now rather than at restore time.
        for stanza in stanzas where !([stanza.type] + stanza.args).allSatisfy({ Format.isValidArgument(Array($0.utf8)[...]) }) {
            throw AgeError.invalidKey("recipient produced a malformed \(stanza.type) stanza")
        }

        let withoutMAC = Format.headerWithoutMAC(stanzas)
        var macKey = try headerMACKey(fileKey: fileKey)
        defer { secureZero(&macKey) }
        let mac = HMACSHA256.authenticate(key: macKey, message: withoutMAC)
        let nonce = secureRandomBytes(AgeConstants.payloadNonceSize)
        var key = try payloadKey(fileKey: fileKey, nonce: nonce)
        defer { secureZero(&key) }

        sealer = try StreamSealer(key: key)
        preamble = Format.closeHeader(withoutMAC, mac: mac) + nonce
        armor = armored ? ArmorEncoder() : nil
    }

    /// Encrypts `input`, appending whatever output is ready (possibly nothing) to `output`.
    public func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        precondition(!finished, "AgeEncryptor.update called after finish")
        try emit(into: &output) { sink in try sealer.update(input, into: &sink) }
    }

    /// Encrypts the final chunk and flushes everything. The encryptor cannot be used afterwards.
    public func finish(into output: inout [UInt8]) throws {
        precondition(!finished, "AgeEncryptor.finish called twice")
        finished = true
        try emit(into: &output) { sink in try sealer.finish(into: &sink) }
        if armor != nil { armor!.finish(into: &output) }
    }

    /// Runs `produce` so that the preamble goes first and, when armoring, everything passes
    /// through the armor encoder.
    private func emit(into output: inout [UInt8], _ produce: (inout [UInt8]) throws -> Void) throws {
        if armor == nil {
            if let preamble {
                output += preamble
                self.preamble = nil
            }
            try produce(&output)
            return
        }
        armorScratch.removeAll(keepingCapacity: true)
        if let preamble {
            armorScratch += preamble
            self.preamble = nil
        }
        try produce(&armorScratch)
        armorScratch.withUnsafeBytes { armor!.update($0, into: &output) }
    }
}
