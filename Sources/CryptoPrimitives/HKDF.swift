import COpenSSL

/// HKDF-SHA-256 (RFC 5869) on OpenSSL's `EVP_KDF` API.
public enum HKDFSHA256 {
    /// Derives `count` bytes (1...8160) from `ikm` with `salt` and `info`.
    ///
    /// An empty salt is passed by *omitting* the salt parameter, which RFC 5869 defines as a
    /// salt of HashLen zero bytes. (OpenSSL rejects a zero-length octet-string salt.)
    public static func deriveKey(ikm: [UInt8], salt: [UInt8], info: [UInt8], count: Int) throws -> [UInt8] {
        let operation = "HKDF-SHA-256"
        guard count > 0, count <= 255 * 32 else {
            throw CryptoError.invalidParameter(operation: operation, reason: "output length \(count) out of range 1...8160")
        }
        guard let kdf = EVP_KDF_fetch(nil, "HKDF", nil) else { throw CryptoError.openSSL(operation) }
        defer { EVP_KDF_free(kdf) }
        guard let ctx = EVP_KDF_CTX_new(kdf) else { throw CryptoError.openSSL(operation) }
        defer { EVP_KDF_CTX_free(ctx) }

        // OSSL_PARAM stores raw pointers to names and values and reads them only later, inside
        // EVP_KDF_derive. Swift's String/Array-to-pointer bridges are temporary, so every name
        // and value lives in memory owned by `params` until after the derive call.
        let params = OwnedParams()
        params.utf8String("digest", "SHA256")
        params.octetString("key", ikm)
        if !salt.isEmpty { params.octetString("salt", salt) }
        params.octetString("info", info)

        var out = [UInt8](repeating: 0, count: count)
        let ok = params.withParams { list in
            out.withUnsafeMutableBufferPointer { EVP_KDF_derive(ctx, $0.baseAddress, count, list) }
        }
        guard ok == 1 else { throw CryptoError.openSSL(operation) }
        return out
    }
}

/// An `OSSL_PARAM` list that owns the memory its entries point to. Buffers are wiped (they can
/// hold key material) and freed on deinit, which happens only after the caller's closure returns.
final class OwnedParams {
    private var allocations: [UnsafeMutableRawBufferPointer] = []
    private var params: [OSSL_PARAM] = []

    deinit {
        for buffer in allocations {
            secureZero(buffer)
            buffer.deallocate()
        }
    }

    /// Copies `bytes` into owned memory with a trailing NUL, so names and strings are C strings
    /// and even an empty value gets a valid pointer.
    private func copy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + 1, alignment: 1)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        allocations.append(buffer)
        return buffer
    }

    private func cName(_ name: String) -> UnsafePointer<CChar> {
        let buffer = copy(Array(name.utf8))
        return UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
    }

    func utf8String(_ name: String, _ value: String) {
        let key = cName(name)
        let valueBytes = Array(value.utf8)
        let buffer = copy(valueBytes)
        params.append(OSSL_PARAM_construct_utf8_string(key, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), 0))
    }

    func octetString(_ name: String, _ value: [UInt8]) {
        let key = cName(name)
        let buffer = copy(value)
        params.append(OSSL_PARAM_construct_octet_string(key, buffer.baseAddress!, value.count))
    }

    func withParams<R>(_ body: (UnsafePointer<OSSL_PARAM>) throws -> R) rethrows -> R {
        var list = params
        list.append(OSSL_PARAM_construct_end())
        return try list.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
