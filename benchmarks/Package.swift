// swift-tools-version:6.1
import PackageDescription

// Plan throughput and allocations at 1k / 10k / 100k instances (ordo-one/benchmark).
//   cd benchmarks && swift package --allow-writing-to-package-directory benchmark
// The load client of LOAD.md (`apiary serve` under 5,000 long polls + 1,000 posts/s):
//   cd benchmarks && swift build -c release --scratch-path .build-load --product load-client
let package = Package(
    name: "ApiaryBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Apiary", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
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
        ),
        // Random running fleets, planned with and without their current placement, verified.
        //   cd benchmarks && swift build -c release --product random-fleets
        .executableTarget(
            name: "random-fleets",
            dependencies: [
                .product(name: "ApiaryCore", package: "Apiary"),
                .product(name: "ApiaryTestSupport", package: "Apiary"),
            ],
            path: "RandomFleets"
        ),
        .executableTarget(
            name: "load-client",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "LoadClient",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
