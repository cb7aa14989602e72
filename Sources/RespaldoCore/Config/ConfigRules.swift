import Foundation
import TOMLKit

/// The rules values must follow, and how messages suggest a fix.
extension ConfigParser {
    /// Remote names: `[A-Za-z0-9._-]+`; job names: `[A-Za-z0-9_-]+` (snapshot ids are
    /// `<job>-<timestamp>`, and dots would blur the artifact's extension).
    static func isName(_ name: String, allowDots: Bool) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { TOMLPath.isBareKeyByte($0.value) || (allowDots && $0 == ".") }
    }

    /// Why a notification URL is a secret, or nil. The rule, kept simple on purpose: a URL
    /// is a secret when it has userinfo (`user[:password]@`), a query string, or a path
    /// segment longer than 20 characters made only of letters, digits, `-`, `_`, `.`, `~`,
    /// `=` that contains at least one digit (a token, as in Slack, Discord or healthchecks
    /// URLs). Then the config file must be private.
    static func secretInURL(_ url: String) -> String? {
        guard let c = URLComponents(string: url) else { return nil }
        if c.user != nil || c.password != nil { return "carries credentials (user info before @)" }
        if let query = c.percentEncodedQuery, !query.isEmpty { return "carries a query string" }
        for segment in c.percentEncodedPath.split(separator: "/") {
            let tokenish = segment.unicodeScalars.allSatisfy {
                TOMLPath.isBareKeyByte($0.value) || $0 == "." || $0 == "~" || $0 == "="
            }
            if segment.count > 20 && tokenish && segment.contains(where: \.isNumber) {
                return "carries a token in its path"
            }
        }
        return nil
    }

    /// ` (did you mean "x"?)` for the closest candidate within edit distance 2, else "".
    static func suggestion(_ word: String, among candidates: [String]) -> String {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(word.lowercased(), candidate.lowercased())
            if d <= 2, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best.map { " (did you mean \"\($0.0)\"?)" } ?? ""
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    static func typeName(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }
}
