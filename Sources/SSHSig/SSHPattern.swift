/// OpenSSH's pattern lists (ssh_config(5) PATTERNS), as allowed_signers uses them for
/// `namespaces="…"`: comma-separated patterns where `*` matches any run of bytes and `?` one
/// byte, and a pattern starting with `!` excludes.
///
/// The semantics follow OpenSSH's `match_pattern_list`: any matching negated pattern refuses
/// at once, whatever its position; otherwise the list matches if some positive pattern does.
/// Matching is on bytes and case-sensitive, as OpenSSH does for namespaces.
enum SSHPattern {
    static func matchesList(_ string: String, patterns: [String]) -> Bool {
        let subject = Array(string.utf8)
        var positive = false
        for pattern in patterns {
            let bytes = Array(pattern.utf8)
            if bytes.first == UInt8(ascii: "!") {
                if matches(subject, Array(bytes.dropFirst())) { return false }
            } else if matches(subject, bytes) {
                positive = true
            }
        }
        return positive
    }

    /// Wildcard match of the whole `subject`. Iterative, backtracking only to the last `*`,
    /// so a hostile namespace (up to 64 KiB, from a signature) costs at most
    /// O(subject × pattern) steps, never exponential time.
    static func matches(_ subject: [UInt8], _ pattern: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*"), question = UInt8(ascii: "?")
        var s = 0, p = 0
        var starAt: Int? = nil, resumeAt = 0
        while s < subject.count {
            if p < pattern.count, pattern[p] == question || pattern[p] == subject[s] && pattern[p] != star {
                s += 1
                p += 1
            } else if p < pattern.count, pattern[p] == star {
                starAt = p
                resumeAt = s
                p += 1
            } else if let star = starAt {
                p = star + 1
                resumeAt += 1
                s = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}
