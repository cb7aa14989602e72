import CryptoPrimitives

/// Hex literal to bytes; traps on malformed test data (a bug in the test, not in the code).
func h(_ hex: String) -> [UInt8] {
    guard let bytes = Hex.decode(hex.replacingOccurrences(of: " ", with: "")) else {
        fatalError("bad hex literal in test: \(hex)")
    }
    return bytes
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
