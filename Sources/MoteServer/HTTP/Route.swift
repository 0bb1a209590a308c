public import NIOHTTP1
import MoteCore

/// One endpoint: method, path pattern, the role it needs, and its handler.
public struct Route: Sendable {
    /// How a handler runs.
    public enum Handler: Sendable {
        /// Runs on the event loop that read the request: must not block. For hot, in-memory routes.
        case inline(@Sendable (Request) throws -> Response)
        /// Runs on the blocking thread pool (database, files), answered back on the event loop.
        case blocking(@Sendable (Request) throws -> Response)
        /// Runs as a task that may wait without holding a thread (a long poll), answered
        /// back on the event loop. It should answer before `request.deadline`.
        case async(@Sendable (Request) async throws -> Response)
        /// Starts work that answers later through `answer` (called once, from any thread, with
        /// the response or the error to render), so no thread waits for it: a push handed to
        /// the writer's thread, answered after its commit. Runs on the event loop when the body
        /// is at most `inlineBodyBytes` (parsing it is quick), else on the blocking thread pool.
        case deferred(
            inlineBodyBytes: Int,
            @Sendable (Request, _ answer: @escaping @Sendable (Result<Response, any Error>) -> Void) throws -> Void)
    }

    public var method: HTTPMethod
    /// Path with `{name}` segments, e.g. `/v2/models/{model}/ready`.
    public var pattern: String
    /// The least role a caller needs.
    public var role: Role
    public var handler: Handler
    /// Whether the body may be a file (`application/octet-stream`, or `multipart/form-data`
    /// parts) as well as JSON, up to `limits.max_upload_bytes` instead of `max_body_bytes`.
    public var acceptsFiles = false
    /// Whether the body may also be `application/octet-stream` within `max_body_bytes`: an
    /// Open Inference Protocol request with binary tensor data after its JSON header.
    public var acceptsBinaryTensors = false
    /// Position in the router, used to label metrics without string work per request.
    public internal(set) var index = 0

    public init(_ method: HTTPMethod, _ pattern: String, role: Role, _ handler: Handler) {
        self.method = method
        self.pattern = pattern
        self.role = role
        self.handler = handler
    }

    /// This route, taking binary tensor data as well as JSON (see `acceptsBinaryTensors`).
    public func takingBinaryTensors() -> Route {
        var r = self
        r.acceptsBinaryTensors = true
        return r
    }

    /// This route, taking files as well as JSON (see `acceptsFiles`).
    public func takingFiles() -> Route {
        var r = self
        r.acceptsFiles = true
        return r
    }
}
