/// `[notify] on` names statuses by their raw values; this is the one place that reads them.
extension AlertStatus {
    /// Every name `on` accepts, in the order messages list them (failure first: the default).
    static let names = ["failure", "success", "upload_failure", "verify_failure"]

    /// The status `name` stands for in `[notify] on`.
    init(named name: String) throws(UnknownAlertStatus) {
        guard let status = AlertStatus(rawValue: name) else { throw UnknownAlertStatus(name: name) }
        self = status
    }
}

/// A name in `[notify] on` that is no status.
struct UnknownAlertStatus: Error, CustomStringConvertible, Equatable {
    var name: String

    var description: String {
        "\"\(name)\" is not an event; expected one of \(AlertStatus.names.joined(separator: ", "))"
    }
}
