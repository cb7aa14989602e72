import Foundation

/// A duration as the configuration writes it: a whole number and a unit, `90s`, `45m`,
/// `36h`, `7d`, or several of them (`1d12h`).
public enum ConfigDuration {
    public static func parse(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var total = 0.0
        var digits = ""
        var sawUnit = false
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { return nil }
            } else if let unit = units[character], let value = Int(digits) {
                total += Double(value) * unit
                digits = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        guard digits.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }

    /// The inverse of `parse` for messages: 7200 is "2h", 5400 "1h30m", 0.5 "0.5s".
    public static func format(_ seconds: TimeInterval) -> String {
        guard seconds >= 1, seconds < 1e12, seconds == seconds.rounded() else {
            return String(format: "%gs", seconds)
        }
        var left = Int(seconds)
        var out = ""
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where left >= size {
            out += "\(left / size)\(unit)"
            left %= size
        }
        return out
    }
}
