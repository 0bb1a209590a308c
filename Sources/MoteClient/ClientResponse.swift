public import MoteCore

/// An answer from moted.
public struct ClientResponse: Sendable {
    public var status: Int
    /// Header names in lower case, in order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    public func json() throws(JSONParser.Failure) -> JSONValue {
        try JSONParser.parse(body)
    }

    /// The `{"error", "code"}` of an error answer, if it has that shape.
    public var apiError: (message: String, code: String)? {
        guard status >= 400, let value = try? json(), let message = value["error"]?.stringValue else { return nil }
        return (message, value["code"]?.stringValue ?? "")
    }
}
