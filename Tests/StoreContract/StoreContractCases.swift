import Foundation
import Storage

extension StoreContract {
    /// The cases, in the order of the contract on `protocol Store`.
    public static let cases: [Case] = [
        Case(name: "put, then get whole and from an offset, list and size") { subject, check in
            let store = subject.store
            let bytes = randomBytes(3_000_000)
            try store.put("job/a.bin", bytes: bytes)
            check.equal(try store.list("job"), [StoredObject(name: "job/a.bin", size: 3_000_000)], "list")
            check.equal(try store.size(of: "job/a.bin"), 3_000_000, "size")
            check.sameBytes(try store.all("job/a.bin"), bytes, "get")
            check.sameBytes(try store.all("job/a.bin", offset: 2_999_990), Array(bytes.suffix(10)), "get from an offset")
            check.sameBytes(try store.all("job/a.bin", offset: 3_000_000), [], "get from the end")
            check.equal(try store.read("job/a.bin", limit: 3_000_000).count, 3_000_000, "read at its limit")
            check.equal(try store.partials("job"), [], "no partials left")
        },
        Case(name: "a streamed put of unknown size") { subject, check in
            let bytes = randomBytes(1_500_000)
            try subject.store.put("job/s.bin", bytes: bytes, piece: 100_000, announceSize: false)
            check.sameBytes(try subject.store.all("job/s.bin"), bytes, "get")
            let small = randomBytes(1000)
            try subject.store.put("job/t.bin", bytes: small, piece: 7, announceSize: true)
            check.sameBytes(try subject.store.all("job/t.bin"), small, "get of a put in tiny pieces")
        },
        Case(name: "empty files and nested folders") { subject, check in
            try subject.store.put("a/b/c/empty", bytes: [])
            check.equal(try subject.store.size(of: "a/b/c/empty"), 0, "size")
            check.equal(try subject.store.all("a/b/c/empty"), [], "get")
            check.equal(try subject.store.list("a/b/c"), [StoredObject(name: "a/b/c/empty", size: 0)], "list")
            check.equal(try subject.store.list("a/b"), [], "a folder holds only files")
        },
        Case(name: "names with spaces, quotes, escapes and non-ASCII") { subject, check in
            let names = [
                "job/with space, \"quote\" and percent%20.bin", "job/plus+equals=amp&tilde~.bin", "job/año-ü.bin",
                "job/semi;colon'apostrophe(paren)*star!.bin",
            ]
            for (index, name) in names.enumerated() {
                try subject.store.put(name, bytes: [UInt8(index), 2, 3])
            }
            check.equal(try subject.store.list("job").map(\.name), names.sorted(), "list")
            for (index, name) in names.enumerated() {
                check.equal(try subject.store.read(name), [UInt8(index), 2, 3], "read \(name)")
                check.equal(try subject.store.size(of: name), 3, "size of \(name)")
                try subject.store.delete(name)
            }
            check.equal(try subject.store.list("job"), [], "all deleted")
        },
        Case(name: "a final name is never replaced") { subject, check in
            let store = subject.store
            try store.put("job/a", bytes: [9, 9, 9])
            check.fails("put onto it", with: .alreadyExists(location: store.location, name: "job/a")) {
                try store.put("job/a", bytes: [1, 2])
            }
            check.fails("streamed put onto it", with: .alreadyExists(location: store.location, name: "job/a")) {
                try store.put("job/a", bytes: randomBytes(100_000), piece: 10_000, announceSize: false)
            }
            let local = try check.localFile(randomBytes(10))
            check.fails("putFile onto it", with: .alreadyExists(location: store.location, name: "job/a")) {
                _ = try store.putFile("job/a", localPath: local)
            }
            check.equal(try store.read("job/a"), [9, 9, 9], "the first bytes stay")
            check.equal(try store.partials("job"), [], "no partials left")
        },
        Case(name: "a failing reader aborts the put and leaves nothing") { subject, check in
            struct Boom: Error {}
            let store = subject.store
            var calls = 0
            check.fails("put", { try store.put("job/a", expectedSize: nil) { buffer in
                calls += 1
                if calls > 3 { throw Boom() }
                buffer[0] = 1
                return 1
            } }) { $0 is Boom }
            check.equal(try store.size(of: "job/a"), nil, "nothing published")
            check.equal(try store.partials("job"), [], "no partials left")
            check.equal(try store.list("job"), [], "nothing listed")
        },
        Case(name: "a stream shorter or longer than its size is refused") { subject, check in
            let store = subject.store
            for produced in [500, 1500] {
                var sent = 0
                check.fails("\(produced) bytes for 1000", { try store.put("job/short.bin", expectedSize: 1000) { buffer in
                    let count = min(buffer.count, produced - sent, 300)
                    buffer.initializeMemory(as: UInt8.self, repeating: 7)
                    sent += count
                    return count
                } }) { error in
                    if case .sizeMismatch? = error as? StorageError { return true }
                    return false
                }
                check.equal(try store.size(of: "job/short.bin"), nil, "nothing published")
                check.equal(try store.partials("job"), [], "no partials left")
            }
        },
        Case(name: "list skips partials, which partials reports") { subject, check in
            try subject.plantPartial("job/x.sql.gz", [1, 2])
            try subject.store.put("job/y.sql.gz", bytes: [1, 2, 3])
            check.equal(try subject.store.list("job"), [StoredObject(name: "job/y.sql.gz", size: 3)], "list")
            check.equal(try subject.store.partials("job"), [StoredObject(name: "job/x.sql.gz.partial", size: 2)], "partials")
            check.equal(try subject.store.list(""), [], "the root holds only a folder")
            try subject.store.delete("job/x.sql.gz.partial")
            check.equal(try subject.store.partials("job"), [], "a deleted partial is gone")
            check.equal(try subject.store.list("job").map(\.name), ["job/y.sql.gz"], "the file stays")
        },
        Case(name: "delete removes, and deleting a missing file is no error") { subject, check in
            let store = subject.store
            try store.put("job/a", bytes: [1])
            try store.put("job/b", bytes: [2])
            try store.delete("job/a")
            check.equal(try store.list("job").map(\.name), ["job/b"], "list")
            check.equal(try store.size(of: "job/a"), nil, "size")
            try store.delete("job/a")
            try store.delete("job/never-was")
            check.fails("get", with: .notFound(location: store.location, name: "job/a")) { _ = try store.all("job/a") }
            try store.put("job/a", bytes: [3])
            check.equal(try store.read("job/a"), [3], "a deleted name can be written again")
        },
        Case(name: "missing files and folders") { subject, check in
            let store = subject.store
            check.fails("get", with: .notFound(location: store.location, name: "job/none")) { _ = try store.all("job/none") }
            check.equal(try store.size(of: "job/none"), nil, "size")
            check.equal(try store.list("nothing-here"), [], "list of a missing folder")
            check.equal(try store.partials("nothing-here"), [], "partials of a missing folder")
        },
        Case(name: "invalid names are refused") { subject, check in
            let store = subject.store
            for name in ["../x", "/etc/x", "a//b", "a/./b", "a/../b", "", "job/line\nbreak", "job/tab\there/", "job/back\\slash"] {
                let invalid = StorageError.invalidName(name)
                check.fails("put \(name.debugDescription)", with: invalid) { try store.put(name, bytes: [1]) }
                check.fails("get \(name.debugDescription)", with: invalid) { _ = try store.all(name) }
                check.fails("size \(name.debugDescription)", with: invalid) { _ = try store.size(of: name) }
                check.fails("delete \(name.debugDescription)", with: invalid) { try store.delete(name) }
                if !name.isEmpty {
                    check.fails("list \(name.debugDescription)", with: invalid) { _ = try store.list(name) }
                }
            }
        },
        Case(name: "putFile stores atomically and reports progress") { subject, check in
            let store = subject.store
            let bytes = randomBytes(2_500_000)
            let local = try check.localFile(bytes)
            var last: (Int64, Int64) = (0, 0)
            let result = try store.putFile("job/f.bin", localPath: local) { last = ($0, $1) }
            check.equal(result, PutFileResult(bytes: 2_500_000, resumedFrom: 0), "result")
            check.equal(last.0, 2_500_000, "progress reaches the end")
            check.equal(last.1, 2_500_000, "progress total")
            check.sameBytes(try store.all("job/f.bin"), bytes, "stored bytes")
            check.equal(try store.partials("job"), [], "no partials left")
            check.fails("a missing local file", { _ = try store.putFile("job/g.bin", localPath: check.scratch + "/missing") }) {
                ($0 as? StorageError)?.isPermanent == true
            }
            check.equal(try store.size(of: "job/g.bin"), nil, "nothing published")
        },
        Case(name: "putFile continues a partial, or starts over from a larger one") { subject, check in
            let store = subject.store
            let unit = subject.resumeUnit
            let bytes = randomBytes(2 * unit + 12_345)
            let local = try check.localFile(bytes)
            try subject.plantPartial("job/f.bin", Array(bytes.prefix(unit)))
            var last: Int64 = 0
            let result = try store.putFile("job/f.bin", localPath: local) { sent, _ in last = sent }
            check.equal(result, PutFileResult(bytes: Int64(bytes.count), resumedFrom: subject.resumesPartials ? Int64(unit) : 0), "result")
            check.equal(last, Int64(bytes.count), "progress counts the resumed part")
            check.sameBytes(try store.all("job/f.bin"), bytes, "stored bytes")
            check.equal(try store.partials("job"), [], "no partials left")

            try subject.plantPartial("job/g.bin", randomBytes(bytes.count + 1000))
            check.equal(try store.putFile("job/g.bin", localPath: local), PutFileResult(bytes: Int64(bytes.count), resumedFrom: 0), "larger partial")
            check.sameBytes(try store.all("job/g.bin"), bytes, "stored bytes after starting over")
            check.equal(try store.partials("job"), [], "no partials left after starting over")
        },
        Case(name: "read refuses a file over its limit") { subject, check in
            try subject.store.put("job/big", bytes: randomBytes(10_000))
            check.fails("read", with: .tooLarge(location: subject.store.location, name: "job/big", limit: 9_999)) {
                _ = try subject.store.read("job/big", limit: 9_999)
            }
        },
        Case(name: "cancellation is final") { subject, check in
            guard let store = subject.store as? any CancellableStore else { return }
            try store.put("job/a", bytes: [1])
            store.cancel()
            let cancelled = StorageError.cancelled(location: store.location)
            check.fails("put", with: cancelled) { try store.put("job/b", bytes: [1]) }
            check.fails("get", with: cancelled) { _ = try store.all("job/a") }
            check.fails("list", with: cancelled) { _ = try store.list("job") }
            check.fails("size", with: cancelled) { _ = try store.size(of: "job/a") }
            check.fails("delete", with: cancelled) { try store.delete("job/a") }
        },
    ]
}
