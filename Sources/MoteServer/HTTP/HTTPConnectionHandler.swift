import Logging
import MoteCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Serves one connection: reads requests (with size limits and deadlines), checks the
/// caller's role, dispatches to the route, writes the answer, and keeps the connection alive.
/// Requests are answered in order; pipelined requests wait in `queued`. Inline routes never
/// leave the event loop.
///
/// No caller can hold a connection for nothing: a head must arrive within
/// `limits.head_timeout`, a body at `limits.min_body_rate` after `limits.body_timeout`, a
/// refused request with a body is answered at its head and the connection closed (the body
/// is never read), and a stop answers a half-received request at once. A client that shuts
/// its sending side after a request still gets every answer.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private let context: ServerContext
    private let peer: PeerIdentity

    private enum State {
        /// Between requests.
        case idle
        /// Head seen; collecting the body (or skipping it when `pending` already decided the answer).
        case reading(InFlight)
        /// A blocking handler runs; `sequence` tells its answer from a late one.
        case waiting(InFlight, sequence: UInt64)
        /// An answer was sent early (413/431); the rest of the input is dropped and the connection closes.
        case draining
    }

    private struct InFlight {
        var head: RequestHead
        var path: String
        var query: Substring
        var route: Route?
        var parameters: [String: String]
        /// An answer already decided at the head (404, 403, 415...): the body is skipped.
        var pending: APIError?
        var body: ByteBuffer?
        /// Body bytes seen, kept or skipped: the size limit holds either way.
        var bodyBytes = 0
        var started: UInt64
        var maxBody: Int
        var requestTimeoutNanos: Int64
        /// When the body's time runs out with no byte received; each byte earns `nanosPerBodyByte`.
        /// Set when a read ends with the body incomplete (a body that comes with its head never
        /// reads the clock).
        var bodyDeadline = NIODeadline.distantFuture
        var bodyTimeoutNanos: Int64 = 0
        var nanosPerBodyByte: Int64 = 0

        /// The time a body that has received `bodyBytes` bytes has left until.
        var extendedBodyDeadline: NIODeadline {
            let (earned, overflow) = Int64(bodyBytes).multipliedReportingOverflow(by: nanosPerBodyByte)
            guard bodyDeadline != .distantFuture, !overflow else { return .distantFuture }
            let (due, late) = bodyDeadline.uptimeNanoseconds.addingReportingOverflow(UInt64(earned))
            return late ? .distantFuture : NIODeadline.uptimeNanoseconds(due)
        }

        /// Stands in for a request whose head could not be read (a malformed or late head).
        static func unread() -> InFlight {
            InFlight(
                head: RequestHead(method: .GET, uri: "/"), path: "", query: "", route: nil, parameters: [:], pending: nil,
                body: nil, started: SystemClock.monotonicNanos(), maxBody: 0, requestTimeoutNanos: 0)
        }
    }

    private var state = State.idle
    private var queued: [RequestPart] = []
    private var quiescing = false
    private var sequence: UInt64 = 0
    /// Last time bytes arrived or an answer left, for the idle timeout.
    private var lastActivity = NIODeadline.now()
    private let idleTimeout: TimeAmount
    private let headTimeout: TimeAmount
    /// How long a request still arriving when moted stops may take to finish.
    private let stopGrace: TimeAmount
    /// When the first bytes of a head still incomplete arrived.
    private var headStarted: NIODeadline?
    /// The peer shut its sending side: answer what is complete, then close.
    private var inputClosed = false
    private var idleCheck: Scheduled<Void>?
    /// When `idleCheck` runs.
    private var checkAt = NIODeadline.distantFuture
    /// The metrics series used last: on a keep-alive connection it is almost always the next one too.
    private var lastSeries: RequestMetrics.Series?

    init(context: ServerContext, peer: PeerIdentity, limits: LimitSettings) {
        self.context = context
        self.peer = peer
        self.idleTimeout = .nanoseconds(limits.idleTimeoutNanos)
        self.headTimeout = .nanoseconds(limits.headTimeoutNanos)
        self.stopGrace = .nanoseconds(limits.stopBodyGraceNanos)
    }

    // MARK: - Deadlines

    func handlerAdded(context ctx: ChannelHandlerContext) {
        scheduleIdleCheck(at: lastActivity + idleTimeout, ctx)
    }

    func handlerRemoved(context ctx: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    /// One timer per connection that re-arms itself; a request only stores timestamps. It
    /// closes an idle connection, and answers 408 to a head or body that is too slow.
    private func scheduleIdleCheck(at deadline: NIODeadline, _ ctx: ChannelHandlerContext) {
        checkAt = deadline
        idleCheck = ctx.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            let now = NIODeadline.now()
            var due = self.lastActivity + self.idleTimeout
            switch self.state {
            case .idle where self.queued.isEmpty:
                if let started = self.headStarted {
                    let headDue = started + self.headTimeout
                    if now >= headDue {
                        self.answerEarly(Self.slowRequest("request head"), .unread(), ctx)
                        return
                    }
                    due = min(due, headDue)
                }
                if now >= due {
                    ctx.close(promise: nil)
                    return
                }
            case .reading(let flight):
                let bodyDue = flight.extendedBodyDeadline
                if now >= bodyDue {
                    self.answerEarly(self.quiescing ? Self.stopping : Self.slowRequest("request body"), flight, ctx)
                    return
                }
                due = bodyDue
            default:
                break
            }
            self.scheduleIdleCheck(at: max(due, now + .milliseconds(10)), ctx)
        }
    }

    /// After a read that left a request incomplete, brings the check forward to its head or
    /// body deadline. (A request that arrives whole in one read never gets here: no timer is
    /// touched on the hot path.)
    func channelReadComplete(context ctx: ChannelHandlerContext) {
        let due: NIODeadline
        switch state {
        case .idle where queued.isEmpty:
            guard let started = headStarted else { return }
            due = started + headTimeout
        case .reading(var flight):
            if flight.bodyDeadline == .distantFuture {
                flight.bodyDeadline = .now() + .nanoseconds(flight.bodyTimeoutNanos)
                state = .reading(flight)
            }
            due = flight.extendedBodyDeadline
        default:
            return
        }
        if due < checkAt {
            idleCheck?.cancel()
            scheduleIdleCheck(at: due, ctx)
        }
    }

    static let stopping = APIError(status: 503, code: .shuttingDown, message: "moted is shutting down")

    static func slowRequest(_ what: String) -> APIError {
        APIError(
            status: 408, code: .slowRequest,
            message: "\(what) not received in time (limits.head_timeout, limits.body_timeout, limits.min_body_rate)")
    }

    func channelRead(context ctx: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        let part = unwrapInboundIn(data)
        switch state {
        case .waiting:
            queued.append(part)
        case .draining:
            return
        default:
            if queued.isEmpty { process(part, ctx) } else { queued.append(part) }
        }
    }

    private func process(_ part: RequestPart, _ ctx: ChannelHandlerContext) {
        switch part {
        case .headStarted: headStarted = .now()
        case .head(let head):
            headStarted = nil
            begin(head, ctx)
        case .body(var chunk): receive(&chunk, ctx)
        case .end: finish(ctx)
        }
    }

    // MARK: - Request head

    private func begin(_ head: RequestHead, _ ctx: ChannelHandlerContext) {
        let started = SystemClock.monotonicNanos()
        let settings = context.settings.current
        let limits = settings.limits
        var uri = head.uri
        // Split at the first "?" over the raw bytes (a Character search costs ~8k instructions,
        // a generic UTF8View search ~700).
        let questionMark = uri.withUTF8 { $0.firstIndex(of: UInt8(ascii: "?")) }.map { uri.utf8.index(uri.utf8.startIndex, offsetBy: $0) }
        let path = questionMark.map { String(uri[..<$0]) } ?? uri
        let query = questionMark.map { uri[uri.utf8.index(after: $0)...] } ?? ""
        var flight = InFlight(
            head: head, path: path, query: query, route: nil, parameters: [:], pending: nil, body: nil,
            started: started, maxBody: limits.maxBodyBytes, requestTimeoutNanos: limits.requestTimeoutNanos)

        let headBytes = head.byteCount
        if headBytes > limits.maxHeaderBytes {
            answerEarly(
                APIError(
                    status: 431, code: .headersTooLarge,
                    message: "request head is \(headBytes) bytes; the limit is \(limits.maxHeaderBytes) (limits.max_header_bytes)"),
                flight, ctx)
            return
        }
        // HEAD is answered like GET, without the body.
        let match = context.router.match(head.method == .HEAD ? .GET : head.method, path)
        var takesFiles = false
        if case .found(let route, _) = match { takesFiles = route.acceptsFiles }
        flight.maxBody = takesFiles ? limits.maxUploadBytes : limits.maxBodyBytes
        if let length = head.contentLength, length > flight.maxBody {
            answerEarly(Self.bodyTooLarge(length, flight.maxBody, upload: takesFiles), flight, ctx)
            return
        }

        switch match {
        case .notFound:
            flight.pending = .notFound("no endpoint \(path); see docs/api.md")
        case .methodNotAllowed(let allowed):
            flight.pending = APIError(
                status: 405, code: .methodNotAllowed,
                message: "\(head.method.rawValue) is not allowed on \(path); allowed: \(allowed.map(\.rawValue).joined(separator: ", "))")
        case .found(let route, let parameters):
            flight.route = route
            flight.parameters = parameters
            let role = settings.policy.role(of: peer)
            if let refusal = BrowserOrigin.refusal(head) {
                flight.pending = refusal
            } else if role < route.role {
                context.metrics.forbidden.increment()
                context.logger.warning(
                    "refused request: caller lacks the role",
                    metadata: [
                        "event": "access_denied", "uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)",
                        "route": "\(route.pattern)", "needs": "\(route.role)", "has": "\(role)",
                    ])
                flight.pending = APIError(
                    status: 403, code: .forbidden,
                    message: "uid \(peer.uid) has role '\(role)'; \(head.method.rawValue) \(route.pattern) needs '\(route.role)' (see [access] in moted.toml)")
            } else if head.method == .POST || head.method == .PUT || head.method == .PATCH,
                head.contentTypeIsJSON == false, !(route.acceptsFiles && UploadedFiles.isUpload(contentType: head.contentType ?? "")),
                !(route.acceptsBinaryTensors && UploadedFiles.isOctetStream(contentType: head.contentType ?? ""))
            {
                flight.pending = APIError(
                    status: 415, code: .unsupportedMediaType,
                    message: "Content-Type '\(head.contentType ?? "")' is not accepted; send the body as application/json")
            }
        }
        if head.hasBody {
            // A refused request is answered now; its body is never read.
            if let refusal = flight.pending {
                answerEarly(refusal, flight, ctx)
                return
            }
            flight.bodyTimeoutNanos = limits.bodyTimeoutNanos
            flight.nanosPerBodyByte = max(1, 1_000_000_000 / Int64(limits.minBodyRate))
            if head.expectsContinue {
                ctx.writeAndFlush(wrapOutboundOut(ctx.channel.allocator.buffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
            }
        }
        state = .reading(flight)
    }

    /// Shared empty body for requests without one (an empty ByteBuffer still allocates).
    static let emptyBody = ByteBuffer()

    static func bodyTooLarge(_ size: Int, _ limit: Int, upload: Bool = false) -> APIError {
        APIError(
            status: 413, code: .bodyTooLarge,
            message: "request body is \(size) bytes or more; the limit is \(limit) (limits.\(upload ? "max_upload_bytes" : "max_body_bytes"))")
    }

    // MARK: - Body

    private func receive(_ chunk: inout ByteBuffer, _ ctx: ChannelHandlerContext) {
        guard case .reading(var flight) = state else { return }
        flight.bodyBytes += chunk.readableBytes
        if flight.bodyBytes > flight.maxBody {
            answerEarly(Self.bodyTooLarge(flight.bodyBytes, flight.maxBody, upload: flight.route?.acceptsFiles == true), flight, ctx)
            return
        }
        state = .idle  // release the buffer's reference before appending, so it is not copied
        if flight.pending != nil {
            state = .reading(flight)
            return
        }
        if var body = flight.body {
            flight.body = nil  // keep the buffer uniquely referenced while appending
            body.writeBuffer(&chunk)
            flight.body = body
        } else {
            flight.body = chunk
        }
        state = .reading(flight)
    }

    // MARK: - Dispatch

    private func finish(_ ctx: ChannelHandlerContext) {
        guard case .reading(let flight) = state else { return }
        if let error = flight.pending {
            respond(.error(error), flight, ctx)
            return
        }
        guard let route = flight.route else { return }
        let request = Request(
            method: flight.head.method, path: flight.path, query: flight.query, headers: flight.head.headers,
            body: flight.body ?? Self.emptyBody, peer: peer, parameters: flight.parameters,
            deadline: flight.started &+ UInt64(flight.requestTimeoutNanos))
        let future: EventLoopFuture<Response>
        switch route.handler {
        case .inline(let handler):
            respond(Self.run(handler, request, logger: context.logger), flight, ctx)
            return
        case .blocking(let handler):
            let logger = context.logger
            future = context.threadPool.runIfActive(eventLoop: ctx.eventLoop) { Self.run(handler, request, logger: logger) }
        case .async(let handler):
            let logger = context.logger
            future = ctx.eventLoop.makeFutureWithTask { await Self.run(handler, request, logger: logger) }
        case .deferred(let inlineBodyBytes, let handler):
            let logger = context.logger
            let promise = ctx.eventLoop.makePromise(of: Response.self)
            let start: @Sendable () -> Void = {
                do {
                    try handler(request) { result in
                        switch result {
                        case .success(let response): promise.succeed(response)
                        case .failure(let error): promise.succeed(Self.answer(error, request, logger: logger))
                        }
                    }
                } catch {
                    promise.succeed(Self.answer(error, request, logger: logger))
                }
            }
            if request.body.readableBytes <= inlineBodyBytes {
                start()
            } else {
                context.threadPool.submit { state in
                    if case .active = state { start() } else { promise.succeed(.error(Self.stopping)) }
                }
            }
            future = promise.futureResult
        }
        let loop = ctx.eventLoop
        sequence &+= 1
        let mine = sequence
        state = .waiting(flight, sequence: mine)
        let timeout = loop.assumeIsolated().scheduleTask(in: .nanoseconds(flight.requestTimeoutNanos)) {
            self.complete(
                .error(
                    APIError(
                        status: 503, code: .requestTimeout,
                        message: "no answer within \(DurationText.format(nanos: flight.requestTimeoutNanos)) (limits.request_timeout)")),
                sequence: mine, ctx)
        }
        future.assumeIsolated().whenComplete { result in
            timeout.cancel()
            switch result {
            case .success(let response): self.complete(response, sequence: mine, ctx)
            case .failure: self.complete(.error(Self.stopping), sequence: mine, ctx)
            }
        }
    }

    private func complete(_ response: Response, sequence: UInt64, _ ctx: ChannelHandlerContext) {
        guard case .waiting(let flight, let current) = state, current == sequence else { return }
        respond(response, flight, ctx)
    }

    static func run(_ handler: @Sendable (Request) throws -> Response, _ request: Request, logger: Logger) -> Response {
        do {
            return try handler(request)
        } catch {
            return answer(error, request, logger: logger)
        }
    }

    static func run(_ handler: @Sendable (Request) async throws -> Response, _ request: Request, logger: Logger) async -> Response {
        do {
            return try await handler(request)
        } catch {
            return answer(error, request, logger: logger)
        }
    }

    /// The answer to an error a handler threw; anything but a known failure is our fault (500).
    static func answer(_ error: any Error, _ request: Request, logger: Logger) -> Response {
        switch error {
        case let error as DomainError:
            if error.kind == .internalFault {
                logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            }
            return .error(error)
        case let error as APIError:
            return .error(error)
        case let error as JSONParser.Failure:
            return .error(.badRequest("invalid JSON: \(error)", code: .invalidJSON))
        default:
            logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(APIError.internalError("\(error)"))
        }
    }

    // MARK: - Answers

    /// Answers before the body was read, then closes: the unread body would otherwise be
    /// taken for the next request.
    private func answerEarly(_ error: APIError, _ flight: InFlight, _ ctx: ChannelHandlerContext) {
        write(.error(error), flight, keepAlive: false, ctx)
        state = .draining
        queued.removeAll()
    }

    private func respond(_ response: Response, _ flight: InFlight, _ ctx: ChannelHandlerContext) {
        var keepAlive = flight.head.keepAlive && !quiescing
        if let stream = response.stream, flight.head.method != .HEAD {
            let http10 = flight.head.isHTTP10
            if http10 { keepAlive = false }  // the body ends where the connection does
            write(response, flight, keepAlive: keepAlive, closeAfter: false, ctx)
            sequence &+= 1
            state = .waiting(flight, sequence: sequence)
            pump(stream, keepAlive: keepAlive, http10: http10, sequence: sequence, ctx)
            return
        }
        write(response, flight, keepAlive: keepAlive, ctx)
        afterAnswer(keepAlive: keepAlive, ctx)
    }

    private func afterAnswer(keepAlive: Bool, _ ctx: ChannelHandlerContext) {
        guard keepAlive else {
            state = .draining
            return
        }
        state = .idle
        drainQueue(ctx)
        closeIfDone(ctx)
    }

    /// After the peer shut its sending side: close once every complete request is answered.
    /// Writes go out in order, so the close follows the last answer.
    private func closeIfDone(_ ctx: ChannelHandlerContext) {
        guard inputClosed, queued.isEmpty else { return }
        switch state {
        case .idle, .reading:
            // Nothing more can arrive: a request cut short is dropped with the connection.
            state = .draining
            ctx.writeAndFlushPromise(wrapOutboundOut(ctx.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
                ctx.close(promise: nil)
            }
        case .waiting, .draining:
            return
        }
    }

    /// Streams a body: one piece produced on the thread pool, written, and only once the
    /// socket took it the next one asked for.
    private func pump(_ stream: any BodyStream, keepAlive: Bool, http10: Bool, sequence mine: UInt64, _ ctx: ChannelHandlerContext) {
        let logger = context.logger
        context.threadPool.runIfActive(eventLoop: ctx.eventLoop) { try stream.next() }.assumeIsolated().whenComplete { result in
            guard case .waiting(_, let current) = self.state, current == mine else { return }
            switch result {
            case .success(let piece?):
                if piece.isEmpty {
                    // Nothing yet (a followed log): ask again shortly, without holding a thread.
                    ctx.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(100)) {
                        self.pump(stream, keepAlive: keepAlive, http10: http10, sequence: mine, ctx)
                    }
                    return
                }
                let framed = ResponseSerializer.chunk(piece, http10: http10, allocator: ctx.channel.allocator)
                ctx.writeAndFlushPromise(self.wrapOutboundOut(framed)).assumeIsolated().whenComplete { written in
                    if case .failure = written {
                        self.state = .draining
                        ctx.close(promise: nil)
                        return
                    }
                    self.pump(stream, keepAlive: keepAlive, http10: http10, sequence: mine, ctx)
                }
            case .success(nil):
                var end = ctx.channel.allocator.buffer(capacity: 5)
                if !http10 { end.writeStaticString("0\r\n\r\n") }
                self.lastActivity = .now()
                if keepAlive {
                    ctx.writeAndFlush(self.wrapOutboundOut(end), promise: nil)
                } else {
                    ctx.writeAndFlushPromise(self.wrapOutboundOut(end)).assumeIsolated().whenComplete { _ in ctx.close(promise: nil) }
                }
                self.afterAnswer(keepAlive: keepAlive, ctx)
            case .failure(let error):
                // The head is out: all that is left is to cut the body short, which the
                // client sees as a chunked body without its last chunk.
                logger.error("streamed answer failed", metadata: ["event": "stream_failed", "error": "\(error)"])
                self.state = .draining
                ctx.close(promise: nil)
            }
        }
    }

    /// Processes pipelined parts that arrived while an answer was pending, until one of them
    /// has to wait again.
    private func drainQueue(_ ctx: ChannelHandlerContext) {
        while !queued.isEmpty {
            switch state {
            case .waiting, .draining: return
            case .idle, .reading: process(queued.removeFirst(), ctx)
            }
        }
    }

    private func write(_ response: Response, _ flight: InFlight, keepAlive: Bool, closeAfter: Bool? = nil, _ ctx: ChannelHandlerContext) {
        let bytes = ResponseSerializer.serialize(
            response, keepAlive: keepAlive, http10: flight.head.isHTTP10,
            headOnly: flight.head.method == .HEAD, allocator: ctx.channel.allocator)
        lastActivity = .now()
        let elapsed = Int64(SystemClock.monotonicNanos() &- flight.started)
        lastSeries = context.metrics.record(
            route: flight.route?.index ?? -1, routeLabel: flight.route?.pattern ?? "unmatched",
            method: flight.head.method, status: Int(response.status.code), nanoseconds: elapsed, cached: lastSeries)
        if !(closeAfter ?? !keepAlive) {
            ctx.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        } else {
            ctx.writeAndFlushPromise(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in ctx.close(promise: nil) }
        }
    }

    // MARK: - Events

    func userInboundEventTriggered(context ctx: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            switch state {
            case .idle where queued.isEmpty:
                ctx.close(promise: nil)
            case .reading(var flight):
                // A request still arriving may finish within `stopGrace` (a client in the
                // middle of sending); one that has stalled is answered 503 then, not waited for.
                let graceEnd = NIODeadline.now() + stopGrace
                flight.bodyDeadline = min(flight.bodyDeadline == .distantFuture ? graceEnd : flight.extendedBodyDeadline, graceEnd)
                flight.nanosPerBodyByte = 0
                state = .reading(flight)
                idleCheck?.cancel()
                scheduleIdleCheck(at: flight.bodyDeadline, ctx)
            default:
                break
            }
            return
        }
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            closeIfDone(ctx)
            return
        }
        ctx.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context ctx: ChannelHandlerContext, error: any Error) {
        if let decodingError = error as? RequestDecodingError {
            switch state {
            case .idle, .reading:
                let flight = InFlight.unread()
                let apiError: APIError
                switch decodingError.kind {
                case .headTooLarge: apiError = APIError(status: 431, code: .headersTooLarge, message: "request head too large")
                case .malformed: apiError = .badRequest("malformed HTTP request (\(decodingError.detail))")
                }
                answerEarly(apiError, flight, ctx)
            default:
                ctx.close(promise: nil)
            }
            return
        }
        ctx.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}

