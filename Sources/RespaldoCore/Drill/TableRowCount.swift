/// One table and its exact row count, as recorded in a manifest's `tables` at dump time and
/// as counted again in a drill's scratch database.
public struct TableRowCount: Codable, Sendable, Equatable {
    /// The PostgreSQL schema; for MySQL/MariaDB, the dumped database's name.
    public var schema: String
    public var name: String
    public var rows: Int64

    public init(schema: String, name: String, rows: Int64) {
        self.schema = schema
        self.name = name
        self.rows = rows
    }

    /// `schema.name`, for messages.
    public var qualifiedName: String { "\(schema).\(name)" }
}
