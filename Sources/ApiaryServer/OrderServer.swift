import ApiaryStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// `apiary serve`: the placement orders API of `shared/spec/FORMATS.md`.
///
/// - `GET /v1/hosts/{host}/orders`: the host's orders at the latest generation, with a strong
///   `ETag`; `If-None-Match` → 304; `?wait=SECONDS` holds the request while the client's tag is
///   current, until a newer generation is served or the time is up.
/// - `POST /v1/hosts/{host}/status`: a status report, stored per host and generation → 204.
/// - `GET /healthz`, `GET /metrics` (no token).
///
/// Orders are served from memory (``OrdersCache``); the database is read once per generation.
public final class OrderServer: Sendable {
    public let store: OrderStore
    public let configuration: ServerConfiguration
    public let cache: OrdersCache
    public let authenticator: Authenticator
    public let metrics: ServerMetrics
    let statusWriter: StatusWriter
    let logger: Logger
    /// host → (last reported generation, when; `nil` for reports older than this process).
    let reports = Locked<[String: (generation: Int, at: ContinuousClock.Instant?)]>([:])

    public init(store: OrderStore, configuration: ServerConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.cache = OrdersCache(store: store, pollInterval: configuration.pollInterval, logger: logger)
        self.authenticator = Authenticator(store: store)
        self.metrics = ServerMetrics()
        self.statusWriter = StatusWriter(
            store: store, metrics: metrics, ackDeadline: configuration.statusAckDeadline, logger: logger)
    }

    /// Loads the latest generation, the tokens and the last reports; call before serving.
    public func prepare() async throws {
        try await cache.refresh()
        try await authenticator.reload()
        let latest = try store.latestReports()
        reports.withLock { reports in
            for report in latest { reports[report.host] = (report.generation, nil) }
        }
    }

    // MARK: Router

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(MetricsMiddleware(metrics: metrics))
        router.get("/healthz") { _, _ in try self.health() }
        router.get("/metrics") { _, _ in self.renderMetrics() }
        router.get("/v1/hosts/:host/orders") { request, context in try await self.orders(request, context) }
        router.post("/v1/hosts/:host/status") { request, context in try await self.status(request, context) }
        return router
    }

    /// The application with its background services: the orders loop, token reloads and systemd.
    ///
    /// - Parameter onRunning: called with the bound port once the listener is up.
    public func buildApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let tokenRefresher = PeriodicService(interval: configuration.tokenRefreshInterval) { [authenticator, logger] in
            do { try await authenticator.reload() } catch { logger.error("cannot reload tokens: \(error)") }
        }
        return Application(
            router: buildRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "apiary"),
            services: [cache, tokenRefresher, SystemdService(cache: cache, logger: logger)],
            onServerRunning: { [cache, configuration, logger] channel in
                let port = channel.localAddress?.port ?? configuration.port
                let generation = cache.snapshot.generation
                logger.notice("listening on \(configuration.host):\(port)", metadata: ["generation": "\(generation)"])
                Systemd.notify("READY=1\nSTATUS=serving generation \(generation) on \(configuration.host):\(port)")
                await onRunning(port)
            },
            logger: logger
        )
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully (a ServiceGroup around the
    /// application and its background services). Caps glibc's malloc arenas at 2 first
    /// (`MALLOC_ARENA_MAX` overrides; see ``Memory``).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        Memory.limitArenas(2)
        try await buildApplication(onRunning: onRunning).runService()  // default signals: SIGTERM, SIGINT
    }

    // MARK: Handlers

    func health() throws -> Response {
        let snapshot = cache.snapshot
        let stalled = ContinuousClock.now - cache.lastTick > configuration.pollInterval * 20 + .seconds(5)
        let body = "{\"status\":\"\(stalled ? "stalled" : "ok")\",\"generation\":\(snapshot.generation)}\n"
        return Response(
            status: stalled ? .serviceUnavailable : .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func orders(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try context.parameters.require("host")
        _ = try await authenticator.authorize(request, host: host)
        let wait = try Self.waitSeconds(request, max: configuration.maxWait)
        let tags = Self.entityTags(request.headers[.ifNoneMatch])
        var snapshot = cache.snapshot
        if wait > 0 {
            let current = snapshot.orders[host]
            if current == nil || tags.contains("*") || tags.contains(current!.etag) {
                await cache.waitForChange(from: snapshot.generation, timeout: Self.heldFor(wait: wait))
                snapshot = cache.snapshot
            }
        }
        guard let orders = snapshot.orders[host] else {
            throw HTTPError(
                .notFound,
                message: snapshot.generation == 0
                    ? "no generation has been applied yet"
                    : "host \(host) has no orders in generation \(snapshot.generation)")
        }
        var headers: HTTPFields = [.eTag: orders.etag, .cacheControl: "no-cache"]
        headers[Self.generationHeader] = String(orders.generation)
        if tags.contains("*") || tags.contains(orders.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: orders.body)))
    }

    static let generationHeader = HTTPField.Name("X-Apiary-Generation")!

    func status(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try context.parameters.require("host")
        _ = try await authenticator.authorize(request, host: host)
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw HTTPError(.contentTooLarge, message: "status body of \(length) bytes exceeds the limit of \(limit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "status body exceeds the limit of \(limit) bytes")
        }
        let report: StatusReport
        do {
            report = try JSONDecoder().decode(StatusReport.self, from: Data(buffer.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "status body: \(Self.describe(error))")
        }
        let latest = cache.snapshot.generation
        guard report.generation >= 1, report.generation <= latest else {
            throw HTTPError(
                .badRequest, message: "status body: generation \(report.generation) does not exist (latest is \(latest))")
        }
        for service in report.services where service.state.isEmpty || service.state.count > 64 {
            throw HTTPError(.badRequest, message: "status body: state of \(service.service) must be 1 to 64 characters")
        }
        try await statusWriter.submit(host: host, generation: report.generation, body: String(buffer: buffer))
        let now = ContinuousClock.now
        reports.withLock { reports in
            if let previous = reports[host], previous.generation > report.generation, previous.at != nil { return }
            reports[host] = (report.generation, now)
        }
        return Response(status: .noContent)
    }

    func renderMetrics() -> Response {
        let snapshot = cache.snapshot
        let now = ContinuousClock.now
        let window = configuration.reportingWindow
        var reporting = 0
        var behind = 0
        var oldest = snapshot.generation
        reports.withLock { reports in
            for (host, report) in reports {
                if let at = report.at, now - at <= window {
                    reporting += 1
                    oldest = min(oldest, report.generation)
                }
                if snapshot.orders[host] != nil && report.generation < snapshot.generation { behind += 1 }
            }
            behind += snapshot.orders.keys.reduce(0) { $0 + (reports[$1] == nil ? 1 : 0) }
        }
        metrics.generation.set(Double(snapshot.generation))
        metrics.hostsKnown.set(Double(snapshot.orders.count))
        metrics.hostsReporting.set(Double(reporting))
        metrics.hostsBehind.set(Double(behind))
        metrics.generationLag.set(Double(snapshot.generation - oldest))
        metrics.longPolls.set(Double(cache.waiting))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }

    // MARK: Helpers

    /// How long a long poll with `?wait=wait` is held: `wait` plus up to `wait / 16` at random
    /// (as Consul's blocking queries do). Polls woken together by a new generation come back
    /// together; without the jitter all of them would also expire in the same tick, every
    /// `wait` seconds from then on, and each time be answered in one burst.
    static func heldFor(wait: Double) -> Duration {
        let spread = wait / 16  // 0 for a wait so small that dividing it underflows
        let jitter = spread > 0 ? Double.random(in: 0..<spread) : 0
        return .milliseconds(Int64((wait + jitter) * 1000))
    }

    static func waitSeconds(_ request: Request, max: Double) throws -> Double {
        guard let text = request.uri.queryParameters.get("wait") else { return 0 }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw HTTPError(.badRequest, message: "wait: expected a number of seconds, got \(text)")
        }
        return min(seconds, max)
    }

    /// The entity tags of an `If-None-Match` header (`W/` prefixes dropped).
    static func entityTags(_ header: String?) -> [Substring] {
        guard let header else { return [] }
        return header.split(separator: ",").map { tag in
            var tag = tag.drop(while: { $0 == " " })
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            while tag.last == " " { tag = tag.dropLast() }
            return tag
        }
    }

    /// A decoding error as one line: what was expected where.
    static func describe(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key `\(key.stringValue)` at \(path(context.codingPath))"
        case .typeMismatch(let type, let context)?:
            return "expected \(type) at \(path(context.codingPath))"
        case .valueNotFound(let type, let context)?:
            return "expected \(type) at \(path(context.codingPath)), found null"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        default:
            return "\(error)"
        }
    }
}

extension Array where Element == Substring {
    func contains(_ tag: String) -> Bool { contains(where: { $0 == tag }) }
}

/// The `route` labels of the request metrics.
enum Routes {
    static let status = "/v1/hosts/{host}/status"
    static let orders = "/v1/hosts/{host}/orders"
    /// Order requests with `?wait=` (long polls).
    static let longPoll = "/v1/hosts/{host}/orders?wait"
}

/// Runs `body` every `interval` until shutdown.
struct PeriodicService: Service {
    let interval: Duration
    let body: @Sendable () async -> Void

    func run() async throws {
        // Sleeping is cut short by graceful shutdown, so the group stops at once.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await body()
            }
        }
    }
}

/// Counts requests and records latency per route (host names are folded into `{host}`).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = Self.route(request.uri.path, query: request.uri.query)
        do {
            let response = try await next(request, context)
            record(route, request.method, response.status.code, start)
            return response
        } catch {
            record(route, request.method, (error as? any HTTPResponseError)?.status.code ?? 500, start)
            throw error
        }
    }

    func record(_ route: String, _ method: HTTPRequest.Method, _ status: Int, _ start: ContinuousClock.Instant) {
        metrics.requests(route: route, method: method.rawValue, status: status).increment()
        metrics.latency(route: route).record(ContinuousClock.now - start)
    }

    /// The route label: host names folded into `{host}`, and order requests with `?wait=`
    /// (long polls, held up to `wait` seconds) apart from the others so that the latter's
    /// quantiles mean something.
    static func route(_ path: String, query: String? = nil) -> String {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        if parts.count == 4, parts[0].elementsEqual("v1".utf8), parts[1].elementsEqual("hosts".utf8) {
            if parts[3].elementsEqual("status".utf8) { return Routes.status }
            if parts[3].elementsEqual("orders".utf8) {
                if let query, query.hasPrefix("wait=") || query.contains("&wait=") { return Routes.longPoll }
                return Routes.orders
            }
        }
        if path == "/healthz" || path == "/metrics" { return path }
        return "other"
    }

}
