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

    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(5), .seconds(30), .seconds(60), .seconds(300),
    ]

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
    }

    func requests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "apiary", subsystem: "http", metricName: "requests", unitName: "total", helpText: "HTTP requests served."),
            labels: [("route", route), ("method", method), ("status", String(status))])
    }

    func latency(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "apiary", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                helpText: "Time from request to response (long polls included)."),
            labels: [("route", route)], buckets: Self.buckets)
    }
}
