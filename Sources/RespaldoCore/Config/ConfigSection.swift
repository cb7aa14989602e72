import Foundation
import TOMLKit

/// One TOML table being read: typed getters that throw `ConfigError`s located by key.
struct ConfigSection {
    let parser: ConfigParser
    let table: TOMLTable
    /// The table's path in the document (for line numbers).
    let path: TOMLPath
    /// Where in the configuration, for messages: `encryption`, `jobs[1] "crm"`.
    let context: String?
    /// This table's path relative to `context`'s table: `drill` in a job's drill table.
    let keyPrefix: TOMLPath

    func has(_ key: String) -> Bool { table[key] != nil }

    func line(of key: String) -> Int? { parser.locator.nearestLine(of: path.appending(key)) }

    func error(_ kind: ConfigError.Kind, _ key: String?, _ message: String) -> ConfigError {
        error(kind, at: key.map { TOMLPath([.key($0)]) }, message)
    }

    /// An error located at `key` (relative to this table), or at the table itself.
    func error(_ kind: ConfigError.Kind, at key: TOMLPath?, _ message: String) -> ConfigError {
        let absolute = key.map { path.appending($0) } ?? path
        let shownKey = key.map { keyPrefix.appending($0) } ?? keyPrefix
        return ConfigError(
            kind: kind, file: parser.file, line: parser.locator.nearestLine(of: absolute), context: context,
            key: shownKey.components.isEmpty ? nil : shownKey.description, message: message)
    }

    /// Of two keys that are both set, the one on the later line (for "both set" errors).
    func laterKey(_ a: String, _ b: String) -> String {
        (line(of: b) ?? 0) >= (line(of: a) ?? 0) ? b : a
    }

    /// Records every key not in `allowed`, in the order of the file, each with the closest known
    /// key; the table's other keys are still checked (a typo hides nothing else).
    func checkKeys(_ allowed: [String]) throws {
        let unknown = table.keys.filter { !allowed.contains($0) }
            .sorted { (line(of: $0) ?? Int.max, $0) < (line(of: $1) ?? Int.max, $1) }
        for key in unknown {
            parser.record(error(.unknownKey, key, "unknown key" + ConfigParser.suggestion(key, among: allowed)))
        }
    }

    private func typed(_ key: String, _ expected: TOMLType..., named name: String? = nil) throws -> TOMLValue? {
        guard let value = table[key] else { return nil }
        guard expected.contains(value.type) else {
            throw error(
                .wrongType, key,
                "expected \(name ?? ConfigParser.typeName(expected[0])), found \(ConfigParser.typeName(value.type))")
        }
        return value.tomlValue
    }

    func string(_ key: String) throws -> String? { try typed(key, .string)?.string }

    func bool(_ key: String) throws -> Bool? { try typed(key, .bool)?.bool }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func nonEmptyString(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        if value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw error(.invalidValue, key, "must not be empty")
        }
        return value
    }

    func requiredNonEmptyString(_ key: String) throws -> String {
        guard let value = try nonEmptyString(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func absolutePath(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard value.hasPrefix("/") else {
            throw error(.invalidValue, key, "must be an absolute path, found \"\(value)\"")
        }
        return value
    }

    func requiredAbsolutePath(_ key: String) throws -> String {
        guard let value = try absolutePath(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func int(_ key: String, min: Int? = nil, max: Int? = nil) throws -> Int? {
        guard let value = try typed(key, .int)?.int else { return nil }
        if let min, value < min {
            throw error(.invalidValue, key, max.map { "must be between \(min) and \($0), found \(value)" } ?? "must be at least \(min), found \(value)")
        }
        if let max, value > max {
            throw error(.invalidValue, key, "must be between \(min ?? Int.min) and \(max), found \(value)")
        }
        return value
    }

    /// An integer or a floating-point number, finite.
    func number(_ key: String, min: Double? = nil) throws -> Double? {
        guard let value = try typed(key, .double, .int, named: "a number") else { return nil }
        let number = value.type == .int ? Double(value.int!) : value.double!
        guard number.isFinite else { throw error(.invalidValue, key, "must be a finite number, found \(number)") }
        if let min, number < min {
            throw error(.invalidValue, key, "must be at least \(Int(min)), found \(number)")
        }
        return number
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let array = try typed(key, .array)?.array else { return nil }
        var out: [String] = []
        for (i, element) in array.enumerated() {
            guard let s = element.string else {
                throw error(
                    .wrongType, at: TOMLPath([.key(key), .index(i)]),
                    "expected a string, found \(ConfigParser.typeName(element.type))")
            }
            out.append(s)
        }
        return out
    }

    func timeZone(_ key: String) throws -> TimeZone? {
        guard let name = try string(key) else { return nil }
        do {
            return try ZoneName.parse(name)
        } catch let problem {
            throw error(.invalidValue, key, problem.description)
        }
    }

    func schedule(_ key: String) throws -> Schedule? {
        guard let text = try string(key) else { return nil }
        do {
            return try Schedule.parse(text)
        } catch let problem {
            throw error(.invalidValue, key, problem.description)
        }
    }

    /// `examples`: what the message suggests writing instead, after "such as".
    func duration(_ key: String, examples: String) throws -> ConfigDuration? {
        guard let text = try string(key) else { return nil }
        do {
            return try ConfigDuration(text)
        } catch let problem {
            throw error(.invalidValue, key, "\(problem), such as \(examples)")
        }
    }

    func url(_ key: String, schemes: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), schemes.contains(scheme),
              let host = c.host, !host.isEmpty
        else {
            throw error(
                .invalidValue, key,
                "\"\(text)\" is not a URL of the form \(schemes.map { "\($0)://host/…" }.joined(separator: " or "))")
        }
        return text
    }

    /// A sub-table; a key prefix continues the current context (a job's `drill`), a new
    /// context starts a section (`encryption`).
    func subtable(_ key: String, context newContext: String? = nil) throws -> ConfigSection? {
        guard let value = try typed(key, .table), let sub = value.table else { return nil }
        return ConfigSection(
            parser: parser, table: sub, path: path.appending(key), context: newContext ?? context,
            keyPrefix: newContext == nil ? keyPrefix.appending(key) : .root)
    }

    /// An array of tables (`[[jobs]]`); each entry's context is `jobs[i]` until it is named.
    func tableArray(_ key: String) throws -> [ConfigSection] {
        guard let value = table[key] else { return [] }
        let wrongType = error(
            .wrongType, key,
            "expected an array of tables ([[\(key)]]), found \(ConfigParser.typeName(value.type))")
        guard let array = value.array else { throw wrongType }
        return try array.enumerated().map { i, element in
            guard let sub = element.table else { throw wrongType }
            let entryPath = path.appending(key).appending(index: i)
            return ConfigSection(parser: parser, table: sub, path: entryPath, context: entryPath.description, keyPrefix: .root)
        }
    }

    /// This entry of `[[list]]` with its name in the context (`jobs[1] "crm"`) when `name` is
    /// a string.
    func named(list: String, index: Int) throws -> ConfigSection {
        guard let name = try string("name") else { return self }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ConfigSection(
            parser: parser, table: table, path: path, context: "\(list)[\(index)] \"\(escaped)\"", keyPrefix: keyPrefix)
    }

    /// Runs a FileSecurity check (unless file checks are off), locating its error at `key`.
    func checkFile(_ key: String, _ filePath: String, what: String, private isPrivate: Bool) throws {
        guard parser.checkFiles else { return }
        parser.namedFiles.append(NamedFile(
            path: filePath, what: what, isSecret: isPrivate, line: line(of: key), context: context,
            key: keyPrefix.appending(TOMLPath([.key(key)])).description))
        do {
            if isPrivate {
                try FileSecurity.checkPrivate(path: filePath, what: what)
            } else {
                try FileSecurity.checkNotWritableByOthers(path: filePath, what: what)
            }
        } catch let e as ConfigError {
            throw error(e.kind, key, "\(filePath): \(e.message)")
        }
    }
}
