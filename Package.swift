// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Apiary",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "apiary", targets: ["apiary"]),
        .library(name: "ApiaryCore", targets: ["ApiaryCore"]),
        .library(name: "ApiaryInventory", targets: ["ApiaryInventory"]),
        .library(name: "ApiaryReports", targets: ["ApiaryReports"]),
        // Seeded random inventories for tests and the benchmarks' random-fleet check.
        .library(name: "ApiaryTestSupport", targets: ["TestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // Pure planning core: model, feasibility, packer, lower bounds, verifier, carbon. No I/O.
        .target(name: "ApiaryCore", exclude: ["README.md"], swiftSettings: swiftSettings),
        // TOML/JSON inventory files -> validated Core problem, with file/line/key errors.
        .target(
            name: "ApiaryInventory",
            dependencies: [
                "ApiaryCore",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Plan -> table / markdown / JSON / CSV / HTML.
        .target(name: "ApiaryReports", dependencies: ["ApiaryCore"], swiftSettings: swiftSettings),
        // Placement-order store: GRDB records and append-only migrations.
        .target(
            name: "ApiaryStore",
            dependencies: [
                "ApiaryCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // libsystemd (sd_notify, sd_journal_sendv) for the daemon.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"]), .yum(["systemd-devel"])]
        ),
        // The pull API supervisors poll: Hummingbird routes, auth, metrics, systemd notify.
        .target(
            name: "ApiaryServer",
            dependencies: [
                "ApiaryStore", "CSystemd",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The supervisor-side pull loop and its executors (print, habitat, systemd).
        .target(
            name: "ApiaryAgent",
            dependencies: [
                "ApiaryStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "apiary",
            dependencies: [
                "ApiaryCore", "ApiaryInventory", "ApiaryReports", "ApiaryStore", "ApiaryServer", "ApiaryAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", dependencies: ["ApiaryCore"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "ApiaryCoreTests",
            dependencies: [
                "ApiaryCore", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ApiaryInventoryTests",
            dependencies: ["ApiaryInventory", "ApiaryCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ApiaryReportsTests",
            dependencies: ["ApiaryReports", "ApiaryCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ApiaryServerTests",
            dependencies: [
                "ApiaryServer", "ApiaryStore", "ApiaryAgent", "ApiaryCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ApiaryCLITests",
            dependencies: ["ApiaryCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
