// Load generator for `apiary serve` (benchmarks/LOAD.md): HOSTS simulated agents long-polling
// their orders plus RATE status posts per second (open loop), for DURATION seconds, with an
// optional new generation applied at half time. The Swift counterpart of `load/loadgen.py`,
// written so the client costs little CPU next to the server on a small machine: two NIO event
// loop threads (AsyncHTTPClient, EventLoopFuture API), one for the long polls and one for the
// status posts, so the burst of 5,000 poll responses at a new generation does not delay the
// client's handling of post responses (which would be counted as post latency).
//
//   load-client --base http://127.0.0.1:19632 --tokens tokens.tsv --hosts 5000 --rate 1000 \
//       --duration 60 --wait 30 --pid SERVER_PID --apply-cmd 'apiary apply ...' --out out.json
//
// Prints one JSON line per sample (every 5 s: server RSS, open fds, CPU, load average, status
// latency of the interval), then a JSON summary in the same shape as loadgen.py's.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var base = "http://127.0.0.1:9632"
    var tokens = ""
    var hosts = 5000
    var rate = 1000.0
    var duration = 60.0
    var wait = 30
    var pid: Int32?
    var applyCommand: String?
    var out: String?
    var spread = 5.0
    var sampleEvery = 5.0

    static func parse(_ arguments: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < arguments.count else { fatalError("missing value for \(arguments[i - 1])") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--base": o.base = value()
            case "--tokens": o.tokens = value()
            case "--hosts": o.hosts = Int(value())!
            case "--rate": o.rate = Double(value())!
            case "--duration": o.duration = Double(value())!
            case "--wait": o.wait = Int(value())!
            case "--pid": o.pid = Int32(value())!
            case "--apply-cmd": o.applyCommand = value()
            case "--out": o.out = value()
            case "--spread": o.spread = Double(value())!
            case "--sample-every": o.sampleEvery = Double(value())!
            case "--procs": _ = value()  // loadgen.py compatibility; one process here
            default: fatalError("unknown argument \(arguments[i])")
            }
            i += 1
        }
        precondition(!o.tokens.isEmpty, "--tokens is required")
        return o
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let k = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))
    return sorted[k]
}

func ms(_ seconds: Double?) -> Double? { seconds.map { ($0 * 100_000).rounded() / 100 } }

final class Lock: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// Everything the run records, behind `lock` (the poll loop and the post loop both record).
final class Run: @unchecked Sendable {
    let o: Options
    let lock = Lock()
    let pollLoop: any EventLoop
    let postLoop: any EventLoop
    let pollClient: HTTPClient
    let postClient: HTTPClient
    let hosts: [String]
    let tokens: [String]
    let start = NIODeadline.now()

    var etags: [String?]
    var generation = 1
    var stopped = false
    var latencies: [String: [Double]] = [:]
    var statuses: [String: [Int: Int]] = [:]
    var errors: [String: Int] = [:]
    var wake: [Double] = []
    var overshoot: [Double] = []
    var intervalStatus: [Double] = []
    var samples: [[String: Any]] = []
    var applyStart: Double?
    var applyEnd: Double?
    var postsSent = 0
    var postsInFlight = 0
    var maxPostsInFlight = 0
    var maxSendLag = 0.0
    var lastCPU: (at: Double, server: Double, client: Double)?
    var rng = SystemRandomNumberGenerator()

    init(o: Options, pollGroup: MultiThreadedEventLoopGroup, postGroup: MultiThreadedEventLoopGroup, hosts: [String], tokens: [String]) {
        self.o = o
        self.pollLoop = pollGroup.next()
        self.postLoop = postGroup.next()
        self.hosts = hosts
        self.tokens = tokens
        self.etags = Array(repeating: nil, count: hosts.count)
        func client(_ group: MultiThreadedEventLoopGroup, _ connections: Int) -> HTTPClient {
            var pool = HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(Int64(o.wait) + 120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
            pool.retryConnectionEstablishment = true
            let configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30)), connectionPool: pool,
                decompression: .disabled)
            return HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        }
        // Long polls and status posts in separate pools, like agents that keep one connection
        // for their long poll and post on another.
        pollClient = client(pollGroup, hosts.count + 100)
        postClient = client(postGroup, 4000)
    }

    var elapsed: Double { Double((NIODeadline.now() - start).nanoseconds) / 1e9 }

    func record(_ kind: String, _ status: Int, _ seconds: Double) {
        lock.withLock {
            latencies[kind, default: []].append(seconds)
            statuses[kind, default: [:]][status, default: 0] += 1
            if kind == "status" { intervalStatus.append(seconds) }
        }
    }

    func error(_ message: String) { lock.withLock { errors[message, default: 0] += 1 } }

    // MARK: Pollers

    /// One poller's next request; runs on the poll loop.
    func poll(_ i: Int) {
        if lock.withLock({ stopped }) { return }
        var headers = HTTPHeaders([("Authorization", "Bearer \(tokens[i])")])
        var url = "\(o.base)/v1/hosts/\(hosts[i])/orders"
        let kind: String
        if let tag = etags[i] {
            headers.add(name: "If-None-Match", value: tag)
            url += "?wait=\(o.wait)"
            kind = "orders-longpoll"
        } else {
            kind = "orders"
        }
        let request = try! HTTPClient.Request(url: url, method: .GET, headers: headers)
        let t0 = NIODeadline.now()
        pollClient.execute(
            request: request, eventLoop: .delegate(on: pollLoop), deadline: .now() + .seconds(Int64(o.wait) + 30)
        ).whenComplete { result in
            if self.lock.withLock({ self.stopped }) { return }
            let dt = Double((NIODeadline.now() - t0).nanoseconds) / 1e9
            switch result {
            case .success(let response):
                let status = Int(response.status.code)
                self.record(kind, status, dt)
                if status == 304 {
                    if kind == "orders-longpoll" { self.lock.withLock { self.overshoot.append(dt - Double(self.o.wait)) } }
                } else if status == 200 {
                    self.etags[i] = response.headers.first(name: "ETag")
                    let g = response.headers.first(name: "X-Apiary-Generation").flatMap(Int.init)
                    let now = self.elapsed
                    self.lock.withLock {
                        if let g { self.generation = max(self.generation, g) }
                        if kind == "orders-longpoll" { self.wake.append(now) }
                    }
                } else {
                    self.error("orders \(status)")
                    self.pollLoop.scheduleTask(in: .seconds(1)) { self.poll(i) }
                    return
                }
                self.pollLoop.execute { self.poll(i) }
            case .failure(let error):
                self.error("orders \(type(of: error)): \(error)")
                self.pollLoop.scheduleTask(in: .seconds(1)) { self.poll(i) }
            }
        }
    }

    // MARK: Posters (open loop)

    /// Sends the posts that are due; runs on the post loop every millisecond.
    func postTick() {
        if lock.withLock({ stopped }) { return }
        let due = Int(elapsed * o.rate)
        while postsSent < due {
            let intended = Double(postsSent) / o.rate
            maxSendLag = max(maxSendLag, elapsed - intended)
            postsSent += 1
            post()
        }
    }

    func post() {
        if postsInFlight >= 4000 {
            error("status skipped (client at concurrency cap)")
            return
        }
        let i = Int.random(in: 0..<hosts.count, using: &rng)
        let generation = lock.withLock { self.generation }
        let body = "{\"generation\":\(generation),\"services\":[{\"service\":\"svc1.prod\",\"state\":\"running\"}]}"
        let headers = HTTPHeaders([("Authorization", "Bearer \(tokens[i])"), ("Content-Type", "application/json")])
        let request = try! HTTPClient.Request(
            url: "\(o.base)/v1/hosts/\(hosts[i])/status", method: .POST, headers: headers, body: .string(body))
        postsInFlight += 1
        maxPostsInFlight = max(maxPostsInFlight, postsInFlight)
        let t0 = NIODeadline.now()
        postClient.execute(request: request, eventLoop: .delegate(on: postLoop), deadline: .now() + .seconds(60)).whenComplete {
            result in
            self.postsInFlight -= 1
            let dt = Double((NIODeadline.now() - t0).nanoseconds) / 1e9
            switch result {
            case .success(let response):
                let status = Int(response.status.code)
                self.record("status", status, dt)
                if status != 204 { self.error("status \(status)") }
            case .failure(let error):
                if !self.lock.withLock({ self.stopped }) { self.error("status \(type(of: error)): \(error)") }
            }
        }
    }

    // MARK: Samples

    static func procStatus(_ pid: Int32, _ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// utime + stime of `pid`, in seconds.
    static func processCPU(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is state (field 3); utime is field 14, stime field 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// One line of samples; runs on the post loop (which owns the in-flight counters).
    func sample() {
        lock.withLock { sampleLocked() }
    }

    private func sampleLocked() {
        let t = elapsed
        var s: [String: Any] = ["t": (t * 10).rounded() / 10]
        if let pid = o.pid {
            s["rss_kib"] = Self.procStatus(pid, "VmRSS")
            s["fds"] = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? NSNull()
            let server = Self.processCPU(pid) ?? 0
            let client = Self.processCPU(getpid()) ?? 0
            if let last = lastCPU {
                s["server_cpu_pct"] = ((server - last.server) / (t - last.at) * 1000).rounded() / 10
                s["client_cpu_pct"] = ((client - last.client) / (t - last.at) * 1000).rounded() / 10
            }
            lastCPU = (t, server, client)
        }
        s["loadavg_1m"] = Self.loadAverage()
        let sorted = intervalStatus.sorted()
        s["status_n"] = sorted.count
        s["status_p50_ms"] = ms(percentile(sorted, 50))
        s["status_p99_ms"] = ms(percentile(sorted, 99))
        s["status_max_ms"] = ms(sorted.last)
        s["posts_in_flight_max"] = maxPostsInFlight
        maxPostsInFlight = postsInFlight
        intervalStatus.removeAll(keepingCapacity: true)
        samples.append(s)
        if let data = try? JSONSerialization.data(withJSONObject: s, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
            fflush(stdout)
        }
    }

    func apply(_ command: String) {
        lock.withLock { applyStart = elapsed }
        let run = self
        Thread.detachNewThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            do {
                try process.run()
                process.waitUntilExit()
            } catch {
                fatalError("apply command: \(error)")
            }
            let status = process.terminationStatus
            if status != 0 { run.error("apply command exited \(status)") }
            run.lock.withLock { run.applyEnd = run.elapsed }
        }
    }

    // MARK: Summary

    func summary(wall: Double) -> [String: Any] {
        var kinds: [String: Any] = [:]
        var total = 0
        for (kind, values) in latencies.sorted(by: { $0.key < $1.key }) {
            let sorted = values.sorted()
            total += sorted.count
            kinds[kind] = [
                "count": sorted.count, "per_s": (Double(sorted.count) / wall * 10).rounded() / 10,
                "statuses": Dictionary(uniqueKeysWithValues: statuses[kind, default: [:]].map { (String($0.key), $0.value) }),
                "p50_ms": ms(percentile(sorted, 50))!, "p90_ms": ms(percentile(sorted, 90))!,
                "p99_ms": ms(percentile(sorted, 99))!, "p999_ms": ms(percentile(sorted, 99.9))!,
                "max_ms": ms(sorted.last)!,
            ]
        }
        var out: [String: Any] = [
            "client": "load-client (Swift, AsyncHTTPClient; one event loop for polls, one for posts)",
            "cpus": ProcessInfo.processInfo.activeProcessorCount, "duration_s": (wall * 10).rounded() / 10,
            "hosts": o.hosts, "rate_target": o.rate, "wait_s": o.wait, "kinds": kinds, "errors": errors,
            "requests_per_s": (Double(total) / wall * 10).rounded() / 10, "rss": samples,
            "client_max_send_lag_ms": ms(maxSendLag)!,
        ]
        if let applyStart, let applyEnd, !wake.isEmpty {
            let rel = wake.map { $0 - applyStart }.sorted()
            out["wake_after_apply"] = [
                "apply_command_s": ((applyEnd - applyStart) * 100).rounded() / 100, "count": rel.count,
                "p50_ms_from_apply_start": ms(percentile(rel, 50))!, "p99_ms_from_apply_start": ms(percentile(rel, 99))!,
                "max_ms_from_apply_start": ms(rel.last)!,
            ]
        }
        if !overshoot.isEmpty {
            let sorted = overshoot.sorted()
            out["longpoll_304_held_beyond_wait"] = ["p50_ms": ms(percentile(sorted, 50))!, "p99_ms": ms(percentile(sorted, 99))!]
        }
        return out
    }
}

// MARK: Main

let o = Options.parse(Array(CommandLine.arguments.dropFirst()))
let pairs = try! String(contentsOfFile: o.tokens, encoding: .utf8).split(separator: "\n").compactMap { line -> (String, String)? in
    let parts = line.split(separator: "\t")
    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
}.prefix(o.hosts)
// One thread for the long polls, one for the posts (each client's connections live on its own loop).
let pollGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let postGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let run = Run(o: o, pollGroup: pollGroup, postGroup: postGroup, hosts: pairs.map(\.0), tokens: pairs.map(\.1))

// The generation the server is at when we start.
let health = try! run.postClient.get(url: "\(o.base)/healthz").wait()
if let body = health.body, let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
    let g = object["generation"] as? Int
{
    run.lock.withLock { run.generation = g }
}

let done = DispatchSemaphore(value: 0)
run.pollLoop.execute {
    // Spread the first requests over the first seconds, like agents starting at different times.
    for i in 0..<run.hosts.count {
        let delay = Double.random(in: 0..<o.spread)
        run.pollLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { run.poll(i) }
    }
}
run.postLoop.execute {
    run.postLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in run.postTick() }
    run.sample()
    run.postLoop.scheduleRepeatedTask(initialDelay: .nanoseconds(Int64(o.sampleEvery * 1e9)), delay: .nanoseconds(Int64(o.sampleEvery * 1e9))) {
        task in
        run.sample()
        if run.elapsed >= o.duration - 0.01 { task.cancel() }
    }
    if let command = o.applyCommand {
        run.postLoop.scheduleTask(in: .nanoseconds(Int64(o.duration / 2 * 1e9))) { run.apply(command) }
    }
    run.postLoop.scheduleTask(in: .nanoseconds(Int64(o.duration * 1e9) + 50_000_000)) {
        run.lock.withLock { run.stopped = true }
        done.signal()
    }
}
done.wait()
let wall = run.elapsed
try? run.pollClient.syncShutdown()
try? run.postClient.syncShutdown()
let summary = run.lock.withLock { run.summary(wall: wall) }
var printable = summary
printable["rss"] = nil
print(String(decoding: try! JSONSerialization.data(withJSONObject: printable, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
if let out = o.out {
    try! JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: out))
}
try? pollGroup.syncShutdownGracefully()
try? postGroup.syncShutdownGracefully()
