import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why metrics could not be built or written.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    case invalidMetricName(String)
    case invalidLabelName(metric: String, label: String)
    /// The same metric name was added with a different HELP text or TYPE.
    case conflictingFamily(String)
    /// The same metric name and labels were added twice.
    case duplicateSample(String)
    /// A system call failed while writing the textfile; `operation` names it.
    case write(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidMetricName(name): "metric name \"\(name)\" is not valid in the Prometheus format"
        case let .invalidLabelName(metric, label): "label name \"\(label)\" of metric \(metric) is not valid in the Prometheus format"
        case let .conflictingFamily(name): "metric \(name) was given two different HELP texts or TYPEs"
        case let .duplicateSample(sample): "metric sample \(sample) was added twice"
        case let .write(operation, path, code):
            "cannot write metrics textfile \(path): \(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}

public enum MetricType: String, Sendable {
    case gauge, counter
}

/// One sample: a metric name, its HELP and TYPE, labels and a value.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var labels: [String: String]
    public var value: Double

    public init(name: String, help: String, type: MetricType = .gauge, labels: [String: String] = [:], value: Double) {
        self.name = name
        self.help = help
        self.type = type
        self.labels = labels
        self.value = value
    }
}

/// Samples in the Prometheus text exposition format that node_exporter's textfile collector
/// reads. Rendering is deterministic (families by name, samples by labels, labels by name) so
/// that an unchanged state gives an unchanged file.
public struct MetricsTextfile: Sendable, Equatable {
    public private(set) var samples: [MetricSample] = []

    public init() {}

    /// Adds a sample after checking names; a second HELP/TYPE for a name or a repeated
    /// name+labels is refused, since either makes the exposition invalid.
    public mutating func add(_ sample: MetricSample) throws {
        guard Self.isValidName(sample.name, allowColon: true) else { throw MetricsError.invalidMetricName(sample.name) }
        for label in sample.labels.keys where !Self.isValidName(label, allowColon: false) || label.hasPrefix("__") {
            throw MetricsError.invalidLabelName(metric: sample.name, label: label)
        }
        for other in samples where other.name == sample.name {
            guard other.help == sample.help, other.type == sample.type else {
                throw MetricsError.conflictingFamily(sample.name)
            }
            if other.labels == sample.labels { throw MetricsError.duplicateSample(Self.series(sample)) }
        }
        samples.append(sample)
    }

    public mutating func add(
        _ name: String, help: String, type: MetricType = .gauge, labels: [String: String] = [:], value: Double
    ) throws {
        try add(MetricSample(name: name, help: help, type: type, labels: labels, value: value))
    }

    /// The exposition text: `# HELP` and `# TYPE` once per metric name, then its samples.
    public func render() -> String {
        var families: [String: [MetricSample]] = [:]
        for sample in samples { families[sample.name, default: []].append(sample) }
        var text = ""
        for name in families.keys.sorted() {
            let members = families[name] ?? []
            guard let first = members.first else { continue }
            text += "# HELP \(name) \(Self.escapeHelp(first.help))\n"
            text += "# TYPE \(name) \(first.type.rawValue)\n"
            for line in members.map({ "\(Self.series($0)) \(Self.format($0.value))" }).sorted() {
                text += line + "\n"
            }
        }
        return text
    }

    /// Writes the file atomically: a temporary name in the same folder (so the rename stays on
    /// one file system), fsync, rename, fsync of the folder. node_exporter therefore never
    /// reads a half-written file. The temporary name ends in `.partial`, not `.prom`, so the
    /// collector ignores it, and carries the PID so that two writers never share one.
    ///
    /// Mode 0644, not the 0600 used elsewhere: node_exporter runs as another user and must read
    /// it, and it holds only job names, counts, sizes and times, no secret. It is set with
    /// fchmod because the daemon's UMask=0077 would otherwise strip the read bits.
    public func write(to path: String, mode: mode_t = 0o644) throws {
        do {
            try writeFileAtomically(Array(render().utf8), to: path, temporary: "\(path).\(getpid()).partial", mode: mode)
        } catch {
            throw MetricsError.write(operation: error.operation, path: error.path, errno: error.errno)
        }
    }

    /// `name{a="1",b="2"}`, labels sorted by name.
    static func series(_ sample: MetricSample) -> String {
        guard !sample.labels.isEmpty else { return sample.name }
        let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escapeLabelValue($0.value))\"" }
        return "\(sample.name){\(labels.joined(separator: ","))}"
    }

    /// Label values escape backslash, double quote and newline.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// HELP text escapes backslash and newline (a quote is literal there).
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction (byte counts, whole-second times read better), else Swift's
    /// shortest round-trip form, which Prometheus parses; NaN and infinities in its spelling.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func isValidName(_ name: String, allowColon: Bool) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || (allowColon && c == ":") }
        guard isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
