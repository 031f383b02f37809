import ApiaryStore
import Foundation
import Logging

/// Carries out one order action on the host.
public protocol OrderExecutor: Sendable {
    func perform(_ action: OrderAction, generation: Int) async throws
}

/// Splits `analytics.prod` into the Habitat service name and group (`default` when none).
func habitatGroup(of service: String) -> String {
    guard let dot = service.firstIndex(of: ".") else { return "default" }
    let group = service[service.index(after: dot)...]
    return group.isEmpty ? "default" : String(group)
}

/// The `hab` command lines of an action (also what `--exec print` shows).
func habitatCommands(for action: OrderAction) -> [[String]] {
    func load(_ order: ServiceOrder) -> [String] { ["svc", "load", order.package, "--group", habitatGroup(of: order.service)] }
    func unload(_ order: ServiceOrder) -> [String] { ["svc", "unload", order.package] }
    switch action {
    case .load(let order): return [load(order)]
    case .unload(let order): return [unload(order)]
    case .update(let old, let new):
        // Habitat sets no resource limits, so only a new package or group means work.
        if old.package == new.package && habitatGroup(of: old.service) == habitatGroup(of: new.service) { return [] }
        return [unload(old), load(new)]
    }
}

/// `--exec print`: shows the commands the habitat executor would run, runs nothing.
public struct PrintExecutor: OrderExecutor {
    let hab: String
    let write: @Sendable (String) -> Void

    public init(hab: String = "hab", write: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.hab = hab
        self.write = write
    }

    public func perform(_ action: OrderAction, generation: Int) async throws {
        for arguments in habitatCommands(for: action) {
            write(([hab] + arguments).joined(separator: " "))
        }
    }
}

/// `--exec habitat`: runs `hab svc load IDENT --group GROUP` / `hab svc unload IDENT`.
public struct HabitatExecutor: OrderExecutor {
    let hab: String

    public init(hab: String) {
        self.hab = hab
    }

    public func perform(_ action: OrderAction, generation: Int) async throws {
        for arguments in habitatCommands(for: action) {
            try await run(hab, arguments)
        }
    }
}

/// Runs a program to completion without blocking a concurrency thread; throws on a non-zero exit.
func run(_ program: String, _ arguments: [String]) async throws {
    let process = Process()
    if program.contains("/") {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
    }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard status == 0 else {
        throw AgentError.command(
            ([program] + arguments).joined(separator: " "), status: status,
            output: String(text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(500)))
    }
}

/// `--exec systemd`: one unit per service in `directory`, in `apiary.slice`, with cgroup limits
/// from the service's requests (Habitat itself sets none), so co-located services are isolated:
/// `CPUQuota=` (cores × 100 %), `MemoryMax=` (bytes), `MemoryHigh=` (a fraction of the max, so
/// the kernel throttles and reclaims before the OOM killer runs) and `TasksMax=`.
///
/// A host holding k instances of one service gets one unit with k times the requests. Units are
/// written, not started: point `directory` at `/etc/systemd/system` and run
/// `systemctl daemon-reload`, or at a staging directory that another tool deploys.
public struct SystemdUnitExecutor: OrderExecutor {
    public struct Options: Sendable {
        /// `ExecStart=` with `{hab}`, `{package}`, `{service}`, `{name}` and `{group}` replaced.
        public var execStart: String = "{hab} sup run {package} --group {group}"
        public var hab: String = "/bin/hab"
        public var memoryHighFraction: Double = 0.9
        public var defaultTasksMax: Int = 4096
        public init() {}
    }

    let directory: URL
    let options: Options

    public init(directory: URL, options: Options = Options()) {
        self.directory = directory
        self.options = options
    }

    public static func unitName(for service: String) -> String {
        let safe = service.map { $0.isLetter && $0.isASCII || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "_" }
        return "apiary-" + String(safe) + ".service"
    }

    public func perform(_ action: OrderAction, generation: Int) async throws {
        try writeSlice()
        switch action {
        case .unload(let order):
            let url = directory.appendingPathComponent(Self.unitName(for: order.service))
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        case .load(let order), .update(_, let order):
            let url = directory.appendingPathComponent(Self.unitName(for: order.service))
            try Data(unit(for: order, generation: generation).utf8).write(to: url, options: .atomic)
        }
    }

    func writeSlice() throws {
        let url = directory.appendingPathComponent("apiary.slice")
        guard !FileManager.default.fileExists(atPath: url.path) else { return }
        let text = """
            # Written by apiary agent: the parent slice of every Apiary service.
            [Unit]
            Description=Apiary placed services

            [Slice]
            CPUAccounting=yes
            MemoryAccounting=yes
            TasksAccounting=yes

            """
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    /// The unit text of one service (deterministic, so rewriting an unchanged unit is a no-op).
    public func unit(for order: ServiceOrder, generation: Int) -> String {
        let count = Double(max(order.instances.count, 1))
        let name = order.package.split(separator: "/").dropFirst().first.map(String.init) ?? order.service
        let execStart = options.execStart
            .replacingOccurrences(of: "{hab}", with: options.hab)
            .replacingOccurrences(of: "{package}", with: order.package)
            .replacingOccurrences(of: "{service}", with: order.service)
            .replacingOccurrences(of: "{name}", with: name)
            .replacingOccurrences(of: "{group}", with: habitatGroup(of: order.service))
        var lines = [
            "# Written by apiary agent (generation \(generation)); changes are overwritten.",
            "[Unit]",
            "Description=Apiary \(order.service) (\(order.package)), instances \(order.instances.map(String.init).joined(separator: ","))",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Slice=apiary.slice",
            "ExecStart=\(execStart)",
            "Restart=on-failure",
            "Environment=APIARY_SERVICE=\(order.service) APIARY_INSTANCES=\(order.instances.map(String.init).joined(separator: ","))",
        ]
        if let cpu = order.requests["cpu"], cpu > 0 {
            lines.append("CPUQuota=\(Int((cpu * count * 100).rounded(.up)))%")
        }
        if let memory = order.requests["memory"], memory > 0 {
            let max = Int((memory * count).rounded(.up))
            lines.append("MemoryMax=\(max)")
            lines.append("MemoryHigh=\(Int((Double(max) * options.memoryHighFraction).rounded(.down)))")
        }
        let tasks = order.requests["tasks"].map { Int(($0 * count).rounded(.up)) } ?? options.defaultTasksMax
        lines.append("TasksMax=\(tasks)")
        lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
        return lines.joined(separator: "\n")
    }
}
