import CryptoPrimitives

/// Salt prefix that domain-separates age's scrypt use from any other use of the passphrase.
private let scryptLabel: [UInt8] = Array("age-encryption.org/v1/scrypt".utf8)
private let saltSize = 16

/// The highest work factor written or accepted by default. Go age rejects logN > 22 when
/// decrypting (an attacker-chosen work factor is a denial of service: logN 22 with r = 8
/// already takes 4 GiB of memory), so anything higher would make files other tools refuse.
let scryptMaxWorkFactor = 22

/// Derives the wrap key: scrypt(passphrase, label ‖ salt, N = 2^logN, r = 8, p = 1).
private func scryptWrapKey(passphrase: [UInt8], salt: [UInt8], logN: Int) throws -> [UInt8] {
    try Scrypt.deriveKey(password: passphrase, salt: scryptLabel + salt, logN: logN, r: 8, p: 1, count: 32)
}

/// Encrypts to a passphrase. An scrypt stanza must be the only stanza of a file (the encryptor
/// refuses to mix it, the decryptor rejects such headers): whoever types the passphrase is
/// entitled to assume it is the only way to open the file, which a second, public-key stanza
/// would silently break.
public struct ScryptRecipient: Recipient {
    private let passphrase: [UInt8]
    private let workFactor: Int

    /// `workFactor` is log2(N); 18 (age's default) takes about a second. Checked on `wrap`
    /// (1...22).
    public init(passphrase: [UInt8], workFactor: Int = 18) {
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public func wrap(fileKey: [UInt8]) throws -> [Stanza] {
        guard (1...scryptMaxWorkFactor).contains(workFactor) else {
            throw AgeError.invalidKey("scrypt work factor must be 1...\(scryptMaxWorkFactor), got \(workFactor)")
        }
        guard !passphrase.isEmpty else {
            throw AgeError.invalidKey("empty scrypt passphrase")
        }
        let salt = secureRandomBytes(saltSize)
        var wrapKey = try scryptWrapKey(passphrase: passphrase, salt: salt, logN: workFactor)
        defer { secureZero(&wrapKey) }
        let body = try ChaChaPoly.seal(key: wrapKey, nonce: AgeConstants.wrapNonce, plaintext: fileKey)
        return [Stanza(type: "scrypt", args: [Base64.encodeString(salt), String(workFactor)], body: body)]
    }
}

/// Decrypts files encrypted to a passphrase.
public struct ScryptIdentity: Identity {
    private let passphrase: [UInt8]
    private let maxWorkFactor: Int

    /// Files asking for a work factor above `maxWorkFactor` are refused before any work is
    /// done, so a hostile file cannot make the decryptor spend minutes and gigabytes.
    public init(passphrase: [UInt8], maxWorkFactor: Int = 22) {
        self.passphrase = passphrase
        self.maxWorkFactor = maxWorkFactor
    }

    public func unwrap(stanzas: [Stanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == "scrypt" {
            guard stanzas.count == 1 else {
                throw AgeError.headerFailure("an scrypt stanza must be the only stanza in the header")
            }
            guard stanza.args.count == 2 else {
                throw AgeError.headerFailure("scrypt stanza must have exactly two arguments")
            }
            guard let salt = Base64.decode(stanza.args[0]), salt.count == saltSize else {
                throw AgeError.headerFailure("scrypt salt is not canonical base64 of \(saltSize) bytes")
            }
            let logN = try parseWorkFactor(stanza.args[1])
            guard logN <= maxWorkFactor else {
                throw AgeError.headerFailure("scrypt work factor \(logN) exceeds the maximum \(maxWorkFactor)")
            }
            guard stanza.body.count == AgeConstants.wrappedFileKeySize else {
                throw AgeError.headerFailure("scrypt stanza body must be \(AgeConstants.wrappedFileKeySize) bytes")
            }
            var wrapKey = try scryptWrapKey(passphrase: passphrase, salt: salt, logN: logN)
            defer { secureZero(&wrapKey) }
            do {
                return try ChaChaPoly.open(key: wrapKey, nonce: AgeConstants.wrapNonce, ciphertext: stanza.body)
            } catch CryptoError.authenticationFailure {
                return nil  // wrong passphrase (or wrong work factor): "no match"
            }
        }
        return nil
    }

    /// logN must match ^[1-9][0-9]*$ — no sign, no leading zero, no hex — and fit an Int.
    private func parseWorkFactor(_ text: String) throws -> Int {
        let digits = Array(text.utf8)
        guard let first = digits.first, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(text)
        else {
            throw AgeError.headerFailure("invalid scrypt work factor")
        }
        return value
    }
}
