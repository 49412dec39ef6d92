// swift-tools-version:6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kvm-agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kvm-agent", targets: ["kvm-agent"]),
        .library(name: "KVMCore", targets: ["KVMCore"]),
        .library(name: "Remediation", targets: ["Remediation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // C system library: the libvirt client API plus a shim for its macros.
        .systemLibrary(
            name: "CLibvirt",
            pkgConfig: "libvirt",
            providers: [.apt(["libvirt-dev"])]
        ),
        // Safe Swift over libvirt: owns every pointer, turns C errors into Swift errors.
        .target(
            name: "Libvirt",
            dependencies: ["CLibvirt"],
            swiftSettings: upcoming
        ),
        // C system library: libsystemd (sd_notify, the journal, sd-bus) plus shims for its variadic calls.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Safe Swift over libsystemd: readiness/watchdog notification, journal logging, unit states.
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // C system library: libxml2, which libvirt loads already, for reading its definitions.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Safe Swift over libxml2: a document read into a value tree, every libxml2 pointer freed inside.
        .target(name: "LibXML", dependencies: ["CLibXML2"], swiftSettings: upcoming),
        // The agent's model and logic; no C imports, tested against fakes.
        .target(
            name: "KVMCore",
            dependencies: [
                "LibXML",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // The one strict reading of YAML configuration files (null, booleans, unknown and repeated keys, ranges).
        .target(name: "StrictYAML", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: upcoming),
        // Alert-driven remediation: webhook decoding, policy, safety state, audit and the action queue.
        // No C imports; acts on domains through a protocol, tested against fakes.
        .target(
            name: "Remediation",
            dependencies: [
                "KVMCore", "StrictYAML",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // The exporter-toolkit web configuration (--web.config.file): TLS, client certificates, basic auth.
        .target(
            name: "WebSecurity",
            dependencies: [
                "KVMCore", "StrictYAML",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // glibc's dynamic loader interface (<link.h>): the loaded objects and their segments.
        .systemLibrary(name: "CLoader"),
        // Host capability read from /proc, /sys and /dev/kvm; the agent process's own pages.
        .target(
            name: "HostProbe",
            dependencies: ["KVMCore", "CLoader"],
            swiftSettings: upcoming
        ),
        // KVMCore's Hypervisor implemented on the Libvirt layer: connection supervision, events, offloading;
        // and Remediation's DomainController on the same connections.
        .target(
            name: "LibvirtHypervisor",
            dependencies: [
                "Libvirt", "KVMCore", "Remediation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // HTTP endpoints and the composition of services; callable from tests without the CLI.
        .target(
            name: "AgentHTTP",
            dependencies: [
                "KVMCore", "Remediation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Agent",
            dependencies: [
                "KVMCore", "HostProbe", "Libvirt", "LibvirtHypervisor", "AgentHTTP", "Remediation", "WebSecurity",
                "Systemd",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "kvm-agent",
            dependencies: [
                "Agent", "KVMCore", "Remediation", "Systemd", "WebSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "KVMCoreTests", dependencies: ["KVMCore", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "HostProbeTests", dependencies: ["HostProbe", "KVMCore"], swiftSettings: upcoming),
        .testTarget(name: "LibXMLTests", dependencies: ["LibXML"], swiftSettings: upcoming),
        .testTarget(
            name: "LibvirtTests",
            dependencies: [
                "CLibvirt", "Libvirt", "LibvirtHypervisor", "KVMCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // Helpers shared by test targets: the service manager's end of NOTIFY_SOCKET, property checks that fail on
        // a thrown error.
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport", swiftSettings: upcoming),
        .testTarget(
            name: "SystemdTests",
            dependencies: [
                "Systemd", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "RemediationTests",
            dependencies: [
                "Remediation", "KVMCore", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WebSecurityTests",
            dependencies: [
                "WebSecurity", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "AgentHTTPTests",
            dependencies: [
                "AgentHTTP", "Remediation", "KVMCore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Agent", "HostProbe", "KVMCore", "Libvirt", "Remediation", "TestSupport", "WebSecurity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
    ]
)
