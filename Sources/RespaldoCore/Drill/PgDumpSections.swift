#if canImport(Glibc)
import Glibc
#endif

/// Follows a plain-format pg_dump on its way into psql and says what psql is busy with, from
/// the comment pg_dump writes before each object (`-- Name: orders_pkey; Type: CONSTRAINT;
/// Schema: public; Owner: crm`, `-- Data for Name: orders; Type: TABLE DATA; …`). psql reads
/// through a pipe of 64 KiB, so what was just fed is what it is doing now, give or take.
///
/// This exists for the progress line: after the last row, psql still builds every index and
/// checks every foreign key, which can take longer than the rows took, while the byte count
/// already says 100%. Only comments are read; nothing here decides what is loaded.
final class PgDumpSections {
    private let tool: String
    private let onPhase: (String) -> Void
    private var phase: String?
    /// The start of a line cut by the end of the previous chunk (at most `maxLine` bytes).
    private var carry: [UInt8] = []
    private static let maxLine = 512
    private static let marker = Array("-- ".utf8)

    /// `tool`: the loader, as the phases name it (psql, or a restore_command).
    init(tool: String = "psql", onPhase: @escaping (String) -> Void) {
        self.tool = tool
        self.onPhase = onPhase
    }

    /// Watches one chunk of dump bytes.
    func feed(_ chunk: [UInt8]) {
        chunk.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            var start = 0
            if !carry.isEmpty {
                // Finish the line the previous chunk cut.
                let end = lineEnd(base, from: 0, count: bytes.count)
                carry.append(contentsOf: bytes[0..<min(end, Self.maxLine)])
                if end == bytes.count {
                    if carry.count >= Self.maxLine { carry.removeAll() }
                    return
                }
                look(at: carry[...])
                carry.removeAll()
                start = end + 1
            }
            while start < bytes.count {
                let end = lineEnd(base, from: start, count: bytes.count)
                if end == bytes.count {
                    // Only a comment line is worth carrying over.
                    if bytes[start] == UInt8(ascii: "-") { carry = Array(bytes[start..<min(end, start + Self.maxLine)]) }
                    return
                }
                if bytes[start] == UInt8(ascii: "-") { look(at: bytes[start..<end]) }
                start = end + 1
            }
        }
    }

    private func lineEnd(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        guard let found = memchr(base + start, 10, count - start) else { return count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private func look<C: Collection<UInt8>>(at line: C) {
        guard line.starts(with: Self.marker) else { return }
        let text = String(decoding: line, as: UTF8.self)
        guard let typeRange = text.range(of: "; Type: ") else { return }
        let type = text[typeRange.upperBound...].prefix { $0 != ";" }
        let next: String
        switch type {
        case "TABLE DATA":
            let name = text.range(of: "Name: ").map { text[$0.upperBound..<typeRange.lowerBound] } ?? ""
            let schema = text.range(of: "; Schema: ").map { text[$0.upperBound...].prefix { $0 != ";" } } ?? ""
            next = "\(tool): loading rows of \(schema.isEmpty || schema == "-" ? "" : schema + ".")\(name)"
        case "INDEX", "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "RULE", "POLICY", "INDEX ATTACH", "MATERIALIZED VIEW DATA":
            next = "\(tool): building indexes / constraints"
        default:
            // Schema objects before the data, sequences' values, comments, grants.
            next = "\(tool): creating the schema"
            guard phase == nil || phase == next else { return }
        }
        guard next != phase else { return }
        phase = next
        onPhase(next)
    }
}
