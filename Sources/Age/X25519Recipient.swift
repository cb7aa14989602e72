import CryptoPrimitives
import Foundation

/// The label that domain-separates X25519 wrap keys from every other HKDF use.
private let x25519Label: [UInt8] = Array("age-encryption.org/v1/X25519".utf8)
private let recipientHRP = "age"
private let identityHRP = "AGE-SECRET-KEY-"

/// An X25519 public key, written `age1…`: what the backup server encrypts to.
public struct X25519Recipient: Recipient, CustomStringConvertible, Hashable {
    let publicKey: [UInt8]

    /// Parses an `age1…` recipient. The prefix is compared exactly, so `AGE1…` is rejected.
    public init(_ string: String) throws {
        let (hrp, data) = try Bech32.decode(string)
        guard hrp == recipientHRP else {
            throw AgeError.invalidKey("not an age X25519 recipient (expected the \"age1\" prefix)")
        }
        guard data.count == X25519.keySize else {
            throw AgeError.invalidKey("X25519 recipient must be \(X25519.keySize) bytes, got \(data.count)")
        }
        publicKey = data
    }

    init(publicKey: [UInt8]) {
        self.publicKey = publicKey
    }

    /// The `age1…` string.
    public var description: String {
        Bech32.encode(hrp: recipientHRP, data: publicKey)
    }

    /// `-> X25519 <share>` with the file key sealed under a key derived from a fresh ephemeral
    /// X25519 exchange, so stanzas for the same recipient are unlinkable across files.
    public func wrap(fileKey: [UInt8]) throws -> [Stanza] {
        var ephemeral = secureRandomBytes(X25519.keySize)
        defer { secureZero(&ephemeral) }
        do {
            let share = try X25519.publicKey(privateKey: ephemeral)
            var shared = try X25519.sharedSecret(privateKey: ephemeral, publicKey: publicKey)
            defer { secureZero(&shared) }
            var wrapKey = try HKDFSHA256.deriveKey(ikm: shared, salt: share + publicKey, info: x25519Label, count: 32)
            defer { secureZero(&wrapKey) }
            let body = try ChaChaPoly.seal(key: wrapKey, nonce: AgeConstants.wrapNonce, plaintext: fileKey)
            return [Stanza(type: "X25519", args: [Base64.encodeString(share)], body: body)]
        } catch let error as CryptoError {
            // A low-order recipient key gives an all-zero shared secret; refuse to encrypt to it.
            throw AgeError.invalidKey("cannot encrypt to X25519 recipient \(self): \(error)")
        }
    }
}

/// An X25519 private key, written `AGE-SECRET-KEY-1…`: kept by operators and the DR host.
public struct X25519Identity: Identity, CustomStringConvertible, CustomDebugStringConvertible {
    private let secretKey: [UInt8]
    private let publicKey: [UInt8]

    private init(secretKey: [UInt8]) throws {
        do {
            publicKey = try X25519.publicKey(privateKey: secretKey)
        } catch {
            throw AgeError.invalidKey("cannot compute the X25519 public key: \(error)")
        }
        self.secretKey = secretKey
    }

    /// A new random identity.
    public static func generate() -> X25519Identity {
        do {
            return try X25519Identity(secretKey: secureRandomBytes(X25519.keySize))
        } catch {
            // Only an OpenSSL malfunction gets here: 32 random bytes are always a valid key.
            fatalError("X25519Identity.generate: \(error)")
        }
    }

    /// Parses an `AGE-SECRET-KEY-1…` identity (uppercase, as age-keygen writes it).
    public init(_ string: String) throws {
        let (hrp, data) = try Bech32.decode(string)
        guard hrp == identityHRP else {
            throw AgeError.invalidKey("not an age X25519 identity (expected the \"AGE-SECRET-KEY-1\" prefix)")
        }
        guard data.count == X25519.keySize else {
            throw AgeError.invalidKey("X25519 identity must be \(X25519.keySize) bytes, got \(data.count)")
        }
        try self.init(secretKey: data)
    }

    /// The matching public key.
    public var recipient: X25519Recipient { X25519Recipient(publicKey: publicKey) }

    /// The `AGE-SECRET-KEY-1…` string. This is the secret: handle it like the key it is.
    public var string: String { Bech32.encode(hrp: identityHRP, data: secretKey) }

    /// Never prints the secret: string interpolation and logging show the public key only.
    public var description: String { "X25519Identity(\(recipient))" }
    public var debugDescription: String { description }

    /// age-keygen's file format: "# created: <RFC3339>\n# public key: age1…\nAGE-SECRET-KEY-1…\n"
    public func keyFileContents(created: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "# created: \(formatter.string(from: created))\n# public key: \(recipient)\n\(string)\n"
    }

    public func unwrap(stanzas: [Stanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == "X25519" {
            // Structural checks come first and are fatal: a malformed X25519 stanza is not
            // "someone else's", it is a broken or tampered header.
            guard stanza.args.count == 1 else {
                throw AgeError.headerFailure("X25519 stanza must have exactly one argument")
            }
            guard let share = Base64.decode(stanza.args[0]), share.count == X25519.keySize else {
                throw AgeError.headerFailure("X25519 stanza share is not canonical base64 of 32 bytes")
            }
            // Checked before decrypting: the file key must be exactly 16 bytes.
            guard stanza.body.count == AgeConstants.wrappedFileKeySize else {
                throw AgeError.headerFailure("X25519 stanza body must be \(AgeConstants.wrappedFileKeySize) bytes")
            }
            var shared: [UInt8]
            do {
                shared = try X25519.sharedSecret(privateKey: secretKey, publicKey: share)
            } catch {
                // All-zero shared secret: a low-order share would make the wrap key public.
                throw AgeError.headerFailure("X25519 stanza share is a low-order point")
            }
            defer { secureZero(&shared) }
            var wrapKey = try HKDFSHA256.deriveKey(ikm: shared, salt: share + publicKey, info: x25519Label, count: 32)
            defer { secureZero(&wrapKey) }
            do {
                return try ChaChaPoly.open(key: wrapKey, nonce: AgeConstants.wrapNonce, ciphertext: stanza.body)
            } catch CryptoError.authenticationFailure {
                continue  // sealed to a different key: not ours
            }
        }
        return nil
    }
}
