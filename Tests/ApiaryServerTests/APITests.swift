import ApiaryCore
import ApiaryServer
import ApiaryStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A store with plan A applied and tokens for hive-01, hive-02 and an admin.
struct APIFixture {
    let dir: TemporaryDirectory
    let store: OrderStore
    let server: OrderServer
    let hive01: String
    let hive02: String
    let admin: String

    init(maxBody: Int = 64 * 1024) async throws {
        dir = try TemporaryDirectory()
        store = try OrderStore(path: dir.path("api.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        hive01 = try store.issueToken(role: .host("hive-01")).token
        hive02 = try store.issueToken(role: .host("hive-02")).token
        admin = try store.issueToken(role: .admin).token
        server = OrderServer(
            store: store,
            // No early acknowledgement: the tests read reports from the store right after a 204.
            configuration: ServerConfiguration(
                host: "127.0.0.1", port: 0, pollInterval: .milliseconds(50), maxBodyBytes: maxBody, statusAckDeadline: nil),
            logger: Fixtures.logger)
        try await server.prepare()
    }

    static func bearer(_ token: String, _ more: HTTPFields = [:]) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)"]
        fields.append(contentsOf: more)
        return fields
    }
}

@Suite("Orders API")
struct APITests {
    @Test func ordersWithETagAnd304() async throws {
        let fx = try await APIFixture()
        try await fx.server.buildApplication().test(.router) { client in
            let etag = try await client.execute(
                uri: "/v1/hosts/hive-01/orders", method: .get, headers: APIFixture.bearer(fx.hive01)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let orders = try JSONDecoder().decode(HostOrders.self, from: Data(response.body.readableBytesView))
                #expect(orders.host == "hive-01")
                #expect(orders.generation == 1)
                #expect(orders.services.count == 3)
                return try #require(response.headers[.eTag])
            }
            try await client.execute(
                uri: "/v1/hosts/hive-01/orders", method: .get, headers: APIFixture.bearer(fx.hive01, [.ifNoneMatch: etag])
            ) { response in
                #expect(response.status == .notModified)
                #expect(response.headers[.eTag] == etag)
                #expect(response.body.readableBytes == 0)
            }
            // An admin token opens every host.
            try await client.execute(uri: "/v1/hosts/hive-03/orders", method: .get, headers: APIFixture.bearer(fx.admin)) {
                #expect($0.status == .ok)
            }
            // A host the generation does not name.
            try await client.execute(uri: "/v1/hosts/hive-99/orders", method: .get, headers: APIFixture.bearer(fx.admin)) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func tokensGate401And403() async throws {
        let fx = try await APIFixture()
        try await fx.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v1/hosts/hive-01/orders", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] != nil)
            }
            let (id, _) = try #require(TokenFormat.parse(Substring(fx.hive01)))
            let forged = "apiary_\(id)_" + String(repeating: "A", count: 43)
            for token in ["nonsense", forged, fx.hive01 + "x"] {
                try await client.execute(uri: "/v1/hosts/hive-01/orders", method: .get, headers: APIFixture.bearer(token)) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/v1/hosts/hive-02/orders", method: .get, headers: APIFixture.bearer(fx.hive01)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/hosts/hive-02/status", method: .post, headers: APIFixture.bearer(fx.hive01),
                body: ByteBuffer(string: #"{"generation":1,"services":[]}"#)
            ) { #expect($0.status == .forbidden) }
        }
    }

    @Test func revokedTokenIsRefused() async throws {
        let fx = try await APIFixture()
        let (id, _) = try #require(TokenFormat.parse(Substring(fx.hive02)))
        try fx.store.revokeToken(id: String(id))
        try await fx.server.authenticator.reload()
        try await fx.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v1/hosts/hive-02/orders", method: .get, headers: APIFixture.bearer(fx.hive02)) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func statusReports204And400And413() async throws {
        let fx = try await APIFixture(maxBody: 1024)
        try await fx.server.buildApplication().test(.router) { client in
            let good = #"{"generation":1,"services":[{"service":"web.prod","state":"running"}]}"#
            try await client.execute(
                uri: "/v1/hosts/hive-01/status", method: .post, headers: APIFixture.bearer(fx.hive01), body: ByteBuffer(string: good)
            ) { #expect($0.status == .noContent) }
            #expect(try fx.store.report(host: "hive-01", generation: 1)?.services.first?.state == "running")

            let bad: [(String, String)] = [
                ("{not json", "not valid JSON"),
                (#"{"services":[]}"#, "missing key `generation`"),
                (#"{"generation":"7","services":[]}"#, "expected Int at generation"),
                (#"{"generation":42,"services":[]}"#, "generation 42 does not exist"),
                (#"{"generation":1,"services":[{"service":"web.prod","state":""}]}"#, "state of web.prod"),
            ]
            for (body, message) in bad {
                try await client.execute(
                    uri: "/v1/hosts/hive-01/status", method: .post, headers: APIFixture.bearer(fx.hive01), body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .badRequest)
                    let text = String(buffer: response.body)
                    #expect(text.contains(message), "\(text) should mention \(message)")
                }
            }
            let huge = #"{"generation":1,"services":[{"service":""# + String(repeating: "x", count: 4096) + #"","state":"running"}]}"#
            try await client.execute(
                uri: "/v1/hosts/hive-01/status", method: .post, headers: APIFixture.bearer(fx.hive01), body: ByteBuffer(string: huge)
            ) { #expect($0.status == .contentTooLarge) }
            try await client.execute(uri: "/v1/hosts/hive-01/orders?wait=soon", method: .get, headers: APIFixture.bearer(fx.hive01)) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func longPollTimesOutWith304() async throws {
        let fx = try await APIFixture()
        try await fx.server.buildApplication().test(.router) { client in
            let etag = try await client.execute(uri: "/v1/hosts/hive-01/orders", method: .get, headers: APIFixture.bearer(fx.hive01)) {
                try #require($0.headers[.eTag])
            }
            let start = ContinuousClock.now
            try await client.execute(
                uri: "/v1/hosts/hive-01/orders?wait=1", method: .get, headers: APIFixture.bearer(fx.hive01, [.ifNoneMatch: etag])
            ) { #expect($0.status == .notModified) }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(10), "held \(elapsed)")
        }
    }

    @Test func longPollWakesOnANewGeneration() async throws {
        let fx = try await APIFixture()
        try await fx.server.buildApplication().test(.router) { client in
            let etag = try await client.execute(uri: "/v1/hosts/hive-01/orders", method: .get, headers: APIFixture.bearer(fx.hive01)) {
                try #require($0.headers[.eTag])
            }
            let applier = Task {
                try await Task.sleep(for: .milliseconds(400))
                try fx.store.apply(try Fixtures.plan("three-hosts-b.json"))
            }
            let start = ContinuousClock.now
            try await client.execute(
                uri: "/v1/hosts/hive-01/orders?wait=20", method: .get, headers: APIFixture.bearer(fx.hive01, [.ifNoneMatch: etag])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] != etag)
                let orders = try JSONDecoder().decode(HostOrders.self, from: Data(response.body.readableBytesView))
                #expect(orders.generation == 2)
                #expect(!orders.services.contains { $0.service == "analytics.prod" })
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(15), "woke after \(elapsed)")  // well before wait=20 expires
            try await applier.value
        }
    }

    @Test func healthAndMetrics() async throws {
        let fx = try await APIFixture()
        try await fx.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"generation\":1"))
            }
            try await client.execute(
                uri: "/v1/hosts/hive-01/status", method: .post, headers: APIFixture.bearer(fx.hive01),
                body: ByteBuffer(string: #"{"generation":1,"services":[]}"#)
            ) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("apiary_http_requests_total{route=\"/v1/hosts/{host}/status\",method=\"POST\",status=\"204\"} 1"))
                #expect(text.contains("apiary_http_request_duration_seconds_bucket"))
                #expect(text.contains("apiary_hosts_reporting 1"))
                #expect(text.contains("apiary_hosts_behind 2"))
                #expect(text.contains("apiary_generation 1"))
            }
        }
    }
}
