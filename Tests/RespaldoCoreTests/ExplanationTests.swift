import Foundation
import XCTest

@testable import RespaldoCore

/// What `prune` and a drill's progress line explain: why each removal happens, rule by rule,
/// and which section of a pg_dump psql is in, across any split of the stream into chunks.
final class ExplanationTests: XCTestCase {
    private let utc = TimeZone(identifier: "UTC")!

    private func snapshots(_ times: [String]) -> [(id: String, time: Date)] {
        let formatter = ISO8601DateFormatter()
        return times.map { ("j-\($0)", formatter.date(from: $0)!) }
    }

    func testEachRemovalSaysWhyNoRuleKeepsIt() {
        // Two a day for three days; keep the newest 1 and one a day for 2 days.
        let all = snapshots(["2026-11-19T01:00:00Z", "2026-11-19T13:00:00Z", "2026-11-20T01:00:00Z",
                             "2026-11-20T13:00:00Z", "2026-11-21T01:00:00Z", "2026-11-21T13:00:00Z"])
        let why = Retention.removalReasons(all, policy: RetentionPolicy(keepLast: 1, keepDaily: 2), timeZone: utc)
        XCTAssertEqual(Set(why.keys), ["j-2026-11-19T01:00:00Z", "j-2026-11-19T13:00:00Z", "j-2026-11-20T01:00:00Z", "j-2026-11-21T01:00:00Z"])
        XCTAssertEqual(why["j-2026-11-21T01:00:00Z"], "not among the 1 newest (keep_last = 1); day 2026-11-21 keeps a newer one (keep_daily = 2)")
        XCTAssertEqual(why["j-2026-11-19T13:00:00Z"], "not among the 1 newest (keep_last = 1); day 2026-11-19 is older than the 2 newest days kept (keep_daily = 2)")
        XCTAssertTrue(Retention.removalReasons(all, policy: RetentionPolicy(), timeZone: utc).isEmpty, "no policy removes nothing")
    }

    func testPgDumpSectionsFollowTheDumpWhateverTheChunks() {
        let dump = """
            --
            -- Name: customers; Type: TABLE; Schema: public; Owner: crm
            --
            CREATE TABLE public.customers (id integer);
            --
            -- Data for Name: customers; Type: TABLE DATA; Schema: public; Owner: crm
            --
            COPY public.customers (id) FROM stdin;
            1
            \\.
            --
            -- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: crm
            --
            ALTER TABLE ONLY public.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

            """
        let bytes = Array(dump.utf8)
        let expected = ["psql: creating the schema", "psql: loading rows of public.customers", "psql: building indexes / constraints"]
        for size in [1, 2, 7, 64, bytes.count] {
            var phases: [String] = []
            let sections = PgDumpSections { phases.append($0) }
            var offset = 0
            while offset < bytes.count {
                sections.feed(Array(bytes[offset..<min(offset + size, bytes.count)]))
                offset += size
            }
            XCTAssertEqual(phases, expected, "chunks of \(size) bytes")
        }
    }
}
