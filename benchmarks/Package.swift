// swift-tools-version:6.1
import PackageDescription

// Plan throughput and allocations at 1k / 10k / 100k instances (ordo-one/benchmark).
//   cd benchmarks && swift package --allow-writing-to-package-directory benchmark
let package = Package(
    name: "ApiaryBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Apiary", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PlanThroughput",
            dependencies: [
                .product(name: "ApiaryCore", package: "Apiary"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PlanThroughput",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
