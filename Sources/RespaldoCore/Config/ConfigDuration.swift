import Foundation

/// A duration as the configuration writes it: a whole number and a unit, `90s`, `45m`,
/// `36h`, `7d`, `2w`, or several of them (`1d12h`). Parsed once, at load; what uses it takes
/// `seconds`.
public struct ConfigDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let seconds: TimeInterval

    public init(seconds: TimeInterval) { self.seconds = seconds }

    /// Reads `text`; refuses anything but digits each followed by a unit, and a total of 0.
    public init(_ text: String) throws(ConfigDurationError) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var total = 0.0
        var digits = ""
        var sawUnit = false
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character.isASCII, character.isNumber {
                digits.append(character)
                // Nine digits of weeks stay far inside a Double's exact integers.
                guard digits.count <= 9 else { throw ConfigDurationError(text: text) }
            } else if let unit = units[character], let value = Int(digits) {
                total += Double(value) * unit
                digits = ""
                sawUnit = true
            } else {
                throw ConfigDurationError(text: text)
            }
        }
        guard digits.isEmpty, sawUnit, total > 0 else { throw ConfigDurationError(text: text) }
        seconds = total
    }

    /// As the configuration would write it (`format`).
    public var description: String { Self.format(seconds) }

    public static func < (a: ConfigDuration, b: ConfigDuration) -> Bool { a.seconds < b.seconds }

    /// The inverse of parsing, for messages: 7200 is "2h", 5400 "1h30m", 0.5 "0.5s".
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

/// A text that is no duration. Each key adds its own examples (`timeout`'s default, say).
public struct ConfigDurationError: Error, CustomStringConvertible, Equatable {
    public let text: String

    public var description: String { "\"\(text)\" is not a duration: write a number and a unit" }
}
