import Prometheus

/// The server's Prometheus series, on a registry of its own (no global bootstrap, so tests can
/// build many servers in one process).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let generation: Gauge
    let hostsReporting: Gauge
    let hostsBehind: Gauge
    let generationLag: Gauge
    let longPolls: Gauge
    let hostsKnown: Gauge
    /// Status reports written, and the transactions that wrote them (reports per commit = batch size).
    let statusReportsWritten: Counter
    let statusCommits: Counter
    /// Status requests acknowledged before their report was committed (the store was busy).
    let statusAcknowledgedEarly: Counter
    let statusCommitDuration: DurationHistogram

    /// Request latency buckets: fine below 50 ms so p99 can be read against a 25 ms target,
    /// then coarse up to the longest long poll.
    static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .microseconds(7500), .milliseconds(10), .milliseconds(15), .milliseconds(20), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    /// The per-request series, created once per label set: the registry validates names and
    /// labels on every `make…` call, which is measurable at thousands of requests per second.
    private let counters = Locked<[CounterKey: Counter]>([:])
    private let histograms = Locked<[String: DurationHistogram]>([:])

    struct CounterKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "apiary", metricName: name, unitName: "", helpText: help))
        }
        generation = gauge("generation", "Latest generation being served.")
        hostsKnown = gauge("hosts_with_orders", "Hosts with orders in the latest generation.")
        hostsReporting = gauge("hosts_reporting", "Hosts whose last status report is within the reporting window.")
        hostsBehind = gauge("hosts_behind", "Hosts with orders whose last report is for an older generation (or none).")
        generationLag = gauge("generation_lag_max", "Latest generation minus the oldest generation any reporting host last reported.")
        longPolls = gauge("long_polls_waiting", "Order requests currently held by ?wait=.")
        func statusCounter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "apiary", subsystem: "status", metricName: name, unitName: "total", helpText: help))
        }
        statusReportsWritten = statusCounter("reports_written", "Status reports committed to the store.")
        statusCommits = statusCounter("commits", "Store transactions that committed status reports (group commit).")
        statusAcknowledgedEarly = statusCounter(
            "acknowledged_early", "Status reports acknowledged before their commit because the store was busy.")
        statusCommitDuration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "apiary", subsystem: "status", metricName: "commit_duration", unitName: "seconds",
                helpText: "Time to commit one batch of status reports (waiting for the store's write lock included)."),
            buckets: Self.buckets)
    }

    func requests(route: String, method: String, status: Int) -> Counter {
        let key = CounterKey(route: route, method: method, status: status)
        if let counter = counters.withLock({ $0[key] }) { return counter }
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "apiary", subsystem: "http", metricName: "requests", unitName: "total", helpText: "HTTP requests served."),
            labels: [("route", route), ("method", method), ("status", String(status))])
        counters.withLock { $0[key] = counter }
        return counter
    }

    func latency(route: String) -> DurationHistogram {
        if let histogram = histograms.withLock({ $0[route] }) { return histogram }
        let histogram = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "apiary", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                helpText: "Time from request to response (held long polls are the route with ?wait)."),
            labels: [("route", route)], buckets: Self.buckets)
        histograms.withLock { $0[route] = histogram }
        return histogram
    }
}
