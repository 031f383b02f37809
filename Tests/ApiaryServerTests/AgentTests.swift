@testable import ApiaryAgent
import ApiaryStore
import Foundation
import Testing

@Suite("Agent")
struct AgentTests {
    let web = ServiceOrder(service: "web.prod", package: "core/nginx/1.25.3/1", instances: [0], requests: ["cpu": 0.5])
    let cache = ServiceOrder(service: "cache.prod", package: "core/redis/7.2.4/1", instances: [1], requests: ["cpu": 1])

    @Test func diffUnloadsFirstThenUpdatesThenLoads() {
        var newCache = cache
        newCache.package = "core/redis/7.2.5/2"
        let analytics = ServiceOrder(service: "analytics.prod", package: "smartbee/analytics/2.3.1/1", instances: [0], requests: [:])
        let actions = OrderAction.diff(
            from: ["web.prod": web, "cache.prod": cache, "analytics.prod": analytics], to: [newCache, web])
        #expect(actions == [.unload(analytics), .update(from: cache, to: newCache)])
        #expect(OrderAction.diff(from: ["web.prod": web], to: [web]).isEmpty)
        #expect(OrderAction.diff(from: [:], to: [web, cache]) == [.load(cache), .load(web)])
    }

    @Test func habitatCommandLines() {
        #expect(habitatCommands(for: .load(web)) == [["svc", "load", "core/nginx/1.25.3/1", "--group", "prod"]])
        #expect(habitatCommands(for: .unload(web)) == [["svc", "unload", "core/nginx/1.25.3/1"]])
        var moved = web
        moved.instances = [2]
        #expect(habitatCommands(for: .update(from: web, to: moved)).isEmpty)
        #expect(habitatGroup(of: "redis") == "default")
    }

    @Test func systemdUnitCarriesCgroupLimits() async throws {
        let dir = try TemporaryDirectory()
        let executor = SystemdUnitExecutor(directory: dir.url)
        let order = ServiceOrder(
            service: "analytics.prod", package: "smartbee/analytics/2.3.1/1", instances: [0, 3],
            requests: ["cpu": 2, "memory": 1_073_741_824, "disk": 5])
        try await executor.perform(.load(order), generation: 4)
        let unit = try String(contentsOfFile: dir.path("apiary-analytics.prod.service"), encoding: .utf8)
        #expect(unit.contains("Slice=apiary.slice"))
        #expect(unit.contains("CPUQuota=400%"))
        #expect(unit.contains("MemoryMax=2147483648"))
        #expect(unit.contains("MemoryHigh=1932735283"))
        #expect(unit.contains("TasksMax=4096"))
        #expect(unit.contains("ExecStart=/bin/hab sup run smartbee/analytics/2.3.1/1 --group prod"))
        #expect(FileManager.default.fileExists(atPath: dir.path("apiary.slice")))
        try await executor.perform(.unload(order), generation: 5)
        #expect(!FileManager.default.fileExists(atPath: dir.path("apiary-analytics.prod.service")))
    }

    @Test func backoffGrowsAndIsCapped() {
        for attempt in 1...40 {
            let delay = Agent.backoff(attempt: attempt, base: 0.5, cap: 30)
            let ceiling = min(30, 0.5 * pow(2, Double(attempt - 1)))
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }

    @Test func stateSurvivesARoundTrip() throws {
        let dir = try TemporaryDirectory()
        var state = AgentState()
        state.generation = 3
        state.etag = "\"abc\""
        state.services = ["web.prod": web]
        let url = dir.url.appendingPathComponent("agent-state.json")
        try state.save(to: url)
        #expect(try AgentState.load(from: url) == state)
    }
}
