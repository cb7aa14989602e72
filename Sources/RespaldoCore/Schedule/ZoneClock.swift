import Foundation

/// Maps between instants and a zone's wall clock, from the zone's UTC offsets and
/// transitions alone (TimeZone.secondsFromGMT(for:) and nextDaylightSavingTimeTransition,
/// which on Linux also report changes of standard offset), so the DST behaviour is ours and
/// tested rather than Calendar's.
///
/// Times are whole seconds: instants since 1970 UTC, wall times since 1970-01-01 00:00 on
/// the wall clock.
struct ZoneClock {
    let zone: TimeZone

    /// Farther than any UTC offset (they lie within -12h...+14h), so a wall time's instants
    /// always fall inside this window around it.
    static let window: Int64 = 30 * 3600

    /// Instants beyond ±1e12 s from 1970 (about year ±33,000) are beyond any schedule's use.
    static let limit: TimeInterval = 1e12

    /// Whole seconds, clamped to ±limit (NaN to -limit), so Int64 conversion is safe for
    /// any Date.
    static func seconds(_ date: Date) -> Int64 {
        let t = date.timeIntervalSince1970.rounded(.down)
        guard t > -limit else { return -Int64(limit) }
        guard t < limit else { return Int64(limit) }
        return Int64(t)
    }

    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    func offset(at instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Self.date(instant)))
    }

    /// The wall time at `instant`.
    func wallTime(at instant: Int64) -> Int64 { instant + offset(at: instant) }

    /// The first offset change strictly after `instant`, or nil when there is none.
    func nextTransition(after instant: Int64) -> Int64? {
        guard let next = zone.nextDaylightSavingTimeTransition(after: Self.date(instant)) else { return nil }
        return Self.seconds(next.addingTimeInterval(0.999_999))  // a transition is due at its own second
    }

    /// The first instant whose wall time is at or after `wall`: the one moment a schedule
    /// entry for `wall` fires. Where `wall` happens twice (fall back) that is its first
    /// occurrence; where a spring-forward gap skips it, the first instant after the gap. It
    /// never decreases as `wall` grows, so walking wall times forward walks fires forward.
    ///
    /// Walks the offset segments from `wall - window`: in each, wall time grows with the
    /// instant, so its first instant at or after `wall` is `max(start, wall - offset)`, taken
    /// when that is still before the segment ends.
    func firstInstant(reaching wall: Int64) -> Int64 {
        var start = wall - Self.window
        var offset = offset(at: start)
        // Real zones change offset a few times a year; the cap only guards a broken zone.
        for _ in 0..<64 {
            let candidate = max(start, wall - offset)
            guard let end = nextTransition(after: start), end <= wall + Self.window else { return candidate }
            if candidate < end { return candidate }
            start = end
            offset = self.offset(at: end)
        }
        return wall - offset
    }
}
