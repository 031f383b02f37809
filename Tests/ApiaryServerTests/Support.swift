import ApiaryCore
import ApiaryServer
import ApiaryStore
import Foundation
import Logging

/// Paths and builders shared by the store, API, crash and end-to-end tests.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func planURL(_ name: String) -> URL {
        root.appendingPathComponent("fixtures/plans/\(name)")
    }

    static func plan(_ name: String) throws -> PlanDocument {
        try JSONDecoder().decode(PlanDocument.self, from: Data(contentsOf: planURL(name)))
    }

    static var logger: Logger {
        var logger = Logger(label: "apiary.test")
        logger.logLevel = .warning
        return logger
    }

    /// The built `apiary` executable next to the test bundle, when it was built.
    static var apiaryBinary: URL? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("apiary")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// A plan with `hosts` hosts and `services` services of `count` instances each, spread
    /// round-robin, with one wave moving every instance from nowhere.
    static func bigPlan(hosts: Int, services: Int, count: Int, digest: String) -> PlanDocument {
        var assignments: [PlanDocument.Assignment] = []
        var moves: [PlanDocument.Move] = []
        var serviceEntries: [PlanDocument.ServiceEntry] = []
        var slot = 0
        for s in 0..<services {
            let name = "svc\(s).prod"
            serviceEntries.append(.init(name: name, package: "origin/pkg\(s)/1.0.0/20240101000000", count: count, requests: ["cpu": 0.25, "memory": 268_435_456]))
            for i in 0..<count {
                let host = "host-\(slot % hosts)"
                slot += 1
                assignments.append(.init(service: name, instance: i, host: host))
                moves.append(.init(service: name, instance: i, from: nil, to: host))
            }
        }
        return PlanDocument(
            inventory: .init(digest: digest, files: ["generated"]),
            summary: .init(
                hostsTotal: hosts, hostsUsed: hosts, hostsFreed: 0, lowerBound: hosts, instances: assignments.count,
                unplaced: 0, moves: 0, utilization: ["cpu": 0.5]),
            assignments: assignments, unplaced: [],
            hosts: (0..<hosts).map { .init(name: "host-\($0)", instances: 0, utilization: [:]) },
            services: serviceEntries, migration: .init(waves: [moves]))
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
