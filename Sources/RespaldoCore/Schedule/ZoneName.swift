import Foundation

/// Which `timezone` values the configuration accepts.
enum ZoneName {
    /// The zone `name` names. Foundation also accepts fixed offsets like `UTC+3`, which are no
    /// IANA names and read backwards to anyone used to POSIX TZ (where `UTC+3` is three hours
    /// behind): they are refused with a pointer to the IANA spelling.
    static func parse(_ name: String) throws(ZoneNameError) -> TimeZone {
        if let meant = abbreviationProblem(name) { throw ZoneNameError(description: meant) }
        guard let zone = TimeZone(identifier: name) else {
            throw ZoneNameError(description: "\"\(name)\" is not a known IANA time zone (like \"America/Mexico_City\" or \"UTC\")")
        }
        let upper = name.uppercased()
        // GMT0 and GMT+0 are IANA links and harmless.
        if upper.hasPrefix("UTC") || upper.hasPrefix("GMT"), upper.dropFirst(3).contains(where: { "123456789".contains($0) }) {
            throw ZoneNameError(
                description: "\"\(name)\" is a fixed offset, not an IANA time zone name: use the zone of a place "
                    + "(like \"Europe/Moscow\"), or for a fixed offset \"Etc/GMT-3\" (POSIX signs: that is UTC+03:00)")
        }
        return zone
    }

    /// What people mean by the abbreviations they write, as IANA names.
    private static let meanings: [String: String] = [
        "CST": "America/Chicago (US Central), Asia/Shanghai (China) or America/Havana (Cuba)",
        "CDT": "America/Chicago", "EST": "America/New_York", "EDT": "America/New_York",
        "MST": "America/Denver (or America/Phoenix, without DST)", "MDT": "America/Denver",
        "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "AKST": "America/Anchorage",
        "HST": "Pacific/Honolulu", "IST": "Asia/Kolkata (India), Europe/Dublin (Ireland) or Asia/Jerusalem (Israel)",
        "BST": "Europe/London", "CET": "Europe/Paris, Europe/Berlin, …", "CEST": "Europe/Paris, Europe/Berlin, …",
        "EET": "Europe/Athens, Europe/Helsinki, …", "WET": "Europe/Lisbon", "MSK": "Europe/Moscow",
        "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
        "NZST": "Pacific/Auckland", "BRT": "America/Sao_Paulo", "ART": "America/Argentina/Buenos_Aires",
    ]

    /// Foundation takes `CST`, `EST` and the like as zones, but an abbreviation names no place:
    /// CST is US Central, China or Cuba, and tzdata's `EST` is a fixed UTC-5 that never
    /// observes New York's DST.
    private static func abbreviationProblem(_ name: String) -> String? {
        // UTC, GMT and UCT (and GMT0, an IANA link) are zones; their offsets are checked below.
        guard !["UTC", "GMT", "UCT"].contains(String(name.prefix(3))),
              name.range(of: #"^[A-Z]{2,5}([0-9]{1,2}([A-Z]{3,4})?)?$"#, options: .regularExpression) != nil
        else { return nil }
        let letters = String(name.prefix { $0.isLetter })
        let meant = meanings[letters].map { "; you probably mean \($0)" } ?? ""
        return "\"\(name)\" is an abbreviation, not a time zone: it names no place, and no DST rules; "
            + "use an IANA name (like \"America/Mexico_City\" or \"UTC\")\(meant)"
    }
}

/// Why a `timezone` value names no zone a schedule can use.
struct ZoneNameError: Error, CustomStringConvertible, Equatable {
    var description: String
}
