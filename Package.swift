// swift-tools-version:6.1
// The Dilithion P2P node in Swift. Layout and the full module table: docs/architecture.md.
// Dependencies point strictly downward; only the modules that run the event loop see the reactor:
//
//   dilithion-node ─► DilithionNodeOps ─┬─► DilithionNode ─┬─► DilithionNet ─► DilithionReactor ─► CLibevent
//                                       │                  ├─► DilithionHeaderHashing ─► DilithionChain
//                                       │                  └─► DilithionChain, DilithionRandomX
//                                       └─► DilithionOps
//   dilithion-cli  ─► DilithionOps
//   below them all:   DilithionSystem (locks, threads, addresses, limits, clock), DilithionWire (codec)
//
// DilithionSystem (locks, condition variable, threads, process limits, socket addresses, the
// monotonic clock) depends on nothing of ours; DilithionWire (the pure codec) on nothing but crypto.
// DilithionOps and dilithion-cli never link libevent.
import PackageDescription

// scripts/fuzz sets DILITHION_FUZZ=1 to build WireFuzz as a libFuzzer binary (no `main` of its own).
let fuzzing = Context.environment["DILITHION_FUZZ"] == "1"

let package = Package(
    name: "dilithion-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DilithionSystem", targets: ["DilithionSystem"]),
        .library(name: "DilithionWire", targets: ["DilithionWire"]),
        .library(name: "DilithionNode", targets: ["DilithionNode"]),
        .library(name: "DilithionTestKit", targets: ["DilithionTestKit"]),
        .executable(name: "dilithion-node", targets: ["dilithion-node"]),
        .executable(name: "dilithion-cli", targets: ["dilithion-cli"]),
        .executable(name: "WireFuzz", targets: ["WireFuzz"]),
        .executable(name: "fakepeer", targets: ["FakePeer"]),
        .executable(name: "NodeFuzz", targets: ["NodeFuzz"]),
        .executable(name: "HTTPFuzz", targets: ["HTTPFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // MARK: C system libraries (only what Swift cannot reach by itself)
        .systemLibrary(
            name: "CLibevent",
            path: "CShims/CLibevent",
            pkgConfig: "libevent_pthreads",
            providers: [.apt(["libevent-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "CShims/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CRandomX",
            path: "CShims/CRandomX",
            providers: [.apt(["librandomx-dev"])]
        ),

        // MARK: Libraries
        // Locks, condition variable, native threads, process limits, socket addresses, the one
        // monotonic clock: what every threaded module needs, with no event loop attached.
        .target(name: "DilithionSystem"),
        .target(
            name: "DilithionWire",
            dependencies: ["COpenSSL", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "DilithionRandomX",
            dependencies: ["DilithionWire", "CRandomX"]
        ),
        // The only importer of CLibevent: event base, listeners, connections, wakeup (issue 8).
        .target(
            name: "DilithionReactor",
            dependencies: ["DilithionSystem", "DilithionWire", "CLibevent"]
        ),
        // Connection manager, dispatcher thread, peer table, injected clock (issue 8).
        .target(
            name: "DilithionNet",
            dependencies: [
                "DilithionReactor",
                "DilithionSystem",
                "DilithionWire",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Seed attestation (issue 18): ML-DSA-65 seed keys and key files, the signed message, the ASN
        // table and datacenter list, the new-MIK limit, the seed's signing service, and verification as
        // C++ consensus does it. Pure library: no sockets, no reactor.
        .target(
            name: "DilithionAttestation",
            dependencies: ["DilithionSystem", "DilithionWire", "COpenSSL", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Header tree, validation, SQLite block store, download scheduling (issue 4). No networking.
        .target(
            name: "DilithionChain",
            dependencies: [
                "DilithionWire", .product(name: "GRDB", package: "GRDB.swift"),
                // sqlite3_blob_read: a stored block read straight into its frame buffer.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),

        // Legacy (RandomX) header hashing off the calling thread: worker threads with one VM each, a
        // replay cache, per-submitter order, fairness and budgets (issue 14).
        .target(
            name: "DilithionHeaderHashing",
            dependencies: ["DilithionWire", "DilithionRandomX", "DilithionSystem", "DilithionChain"]
        ),

        // Peer protocol (handshake, liveness, addresses, bans, slots), sync and serving, Node facade.
        .target(
            name: "DilithionNode",
            dependencies: [
                "DilithionWire",
                "DilithionRandomX",
                "DilithionSystem",
                "DilithionNet",
                "DilithionChain",
                "DilithionHeaderHashing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Operations surface: config, JSON-RPC server and client, cookie, logging, Prometheus text,
        // lock file, signals (issue 5), the public attestation endpoint (issue 18). POSIX sockets on
        // its own threads; knows nothing of the node or the event loop, so dilithion-cli does not
        // link libevent.
        .target(
            name: "DilithionOps",
            dependencies: [
                "DilithionWire",
                "DilithionAttestation",
                "DilithionSystem",
                "DilithionRandomX",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The operations surface bound to a running Node: its RPC methods, its metrics as
        // Prometheus text, and node options turned into a NodeConfiguration.
        .target(
            name: "DilithionNodeOps",
            dependencies: [
                "DilithionWire",
                "DilithionAttestation",
                "DilithionNode",
                "DilithionOps",
            ]
        ),

        // Test kit, test-only: the raw loopback `FakePeer` (and listener) shared by the tests and
        // `fakepeer` (RELIABILITY.md §5), the manual engine clock, bounded waits, and the replay
        // `main` of the fuzz targets. The node never links it.
        .target(
            name: "DilithionTestKit",
            dependencies: ["DilithionNet", "DilithionSystem", "DilithionWire"]
        ),

        // MARK: Executables
        .executableTarget(
            name: "dilithion-node",
            dependencies: [
                "DilithionWire",
                "DilithionAttestation",
                "DilithionRandomX",
                "DilithionSystem",
                "DilithionChain",
                "DilithionNode",
                "DilithionOps",
                "DilithionNodeOps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // JSON-RPC client (reads the cookie, prints results like bitcoin-cli).
        .executableTarget(
            name: "dilithion-cli",
            dependencies: [
                "DilithionWire",
                "DilithionOps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Codec micro-benchmarks (scripts/bench-wire builds it in release).
        .executableTarget(
            name: "WireBench",
            dependencies: ["DilithionSystem", "DilithionWire"],
            path: "bench/wire-bench"
        ),
        // Engine benchmark server, driven by scripts/bench-engine against bench/c-reference (issue 8).
        .executableTarget(
            name: "EngineBench",
            dependencies: [
                "DilithionNet", "DilithionReactor", "DilithionSystem", .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/engine-bench"
        ),
        // Node-level benchmark client, driven by scripts/bench against a release dilithion-node (issue 6).
        .executableTarget(
            name: "NodeBench",
            dependencies: ["DilithionSystem", "DilithionWire"],
            path: "bench/node-bench"
        ),
        // RandomX light/full hashes per second, dataset build time and legacy headers per second
        // through the pre-check → hash → tree pipeline, driven by scripts/bench (issue 14).
        .executableTarget(
            name: "RandomXBench",
            dependencies: [
                "DilithionHeaderHashing", "DilithionRandomX", "DilithionChain", "DilithionNet", "DilithionSystem", "DilithionTestKit",
                "DilithionWire",
            ],
            path: "bench/randomx-bench"
        ),
        // Header-spam measurement (RELIABILITY.md case 24), driven by scripts/reliability/header-spam.
        .executableTarget(
            name: "HeaderSpamBench",
            dependencies: ["DilithionChain", "DilithionSystem", "DilithionWire"],
            path: "bench/header-spam"
        ),
        // libFuzzer entry point: build with `swift build --product WireFuzz -c debug
        // --sanitize=fuzzer --sanitize=address` (scripts/fuzz does it).
        // Its oracle (WireFuzzHarness) lives in its folder; the Wire tests replay the golden frames
        // through it.
        .executableTarget(
            name: "WireFuzz",
            dependencies: ["DilithionTestKit", "DilithionWire"],
            swiftSettings: fuzzing ? [.define("DILITHION_LIBFUZZER")] : []
        ),

        // Dispatcher-level libFuzzer entry (a Node on a ManualClock fed fuzzed message scripts over
        // loopback); built like WireFuzz by `scripts/fuzz --target NodeFuzz`.
        .executableTarget(
            name: "NodeFuzz",
            dependencies: [
                "DilithionNode", "DilithionNet", "DilithionTestKit", "DilithionWire", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fuzzing ? [.define("DILITHION_LIBFUZZER")] : []
        ),
        // The public HTTP surface's libFuzzer entry (request parser → attestation endpoint), harness in
        // its own folder; built like WireFuzz by `scripts/fuzz --target HTTPFuzz`.
        .executableTarget(
            name: "HTTPFuzz",
            dependencies: [
                "DilithionOps", "DilithionAttestation", "DilithionTestKit", "DilithionWire", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fuzzing ? [.define("DILITHION_LIBFUZZER")] : []
        ),
        // Raw loopback P2P peer for scripts/reliability (handshake or not, raw bytes, pacing, RST, ...).
        .executableTarget(
            name: "FakePeer",
            dependencies: ["DilithionWire", "DilithionTestKit"]
        ),

        // MARK: Tests
        // Loads the golden frames in Tests/Fixtures/vectors for the test targets that use them.
        .target(
            name: "VectorSupport",
            dependencies: ["DilithionWire"],
            path: "Tests/VectorSupport"
        ),
        .testTarget(
            name: "DilithionNodeTests",
            dependencies: [
                "DilithionNode", "DilithionNet", "DilithionSystem", "DilithionChain", "DilithionWire", "DilithionTestKit",
                "DilithionHeaderHashing", "DilithionRandomX", "VectorSupport",
            ]
        ),
        .testTarget(
            name: "DilithionOpsTests",
            dependencies: [
                "DilithionOps", "DilithionNodeOps", "DilithionAttestation", "DilithionNode", "DilithionSystem", "DilithionWire",
                "DilithionTestKit", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DilithionAttestationTests",
            dependencies: ["DilithionAttestation", "DilithionWire"],
            exclude: ["Fixtures"]  // read by path (#filePath): a throwaway C++-layout key and a signature
        ),
        .testTarget(
            name: "DilithionWireTests",
            dependencies: [
                "DilithionWire", "DilithionRandomX", "VectorSupport", "WireFuzz",
                // swift-crypto's SHA3-256: the tests' reference, independent of libcrypto's
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "DilithionChainTests",
            dependencies: ["DilithionChain", "DilithionWire", "VectorSupport"]
        ),
        .testTarget(
            name: "DilithionHeaderHashingTests",
            dependencies: [
                "DilithionHeaderHashing", "DilithionChain", "DilithionNet", "DilithionSystem", "DilithionWire",
                "DilithionRandomX", "DilithionTestKit", "VectorSupport",
            ]
        ),
        .testTarget(
            name: "DilithionReactorTests",
            dependencies: ["DilithionReactor", "DilithionSystem", "DilithionWire", "DilithionTestKit"]
        ),
        .testTarget(
            name: "DilithionNetTests",
            dependencies: [
                "DilithionNet", "DilithionReactor", "DilithionSystem", "DilithionWire", "DilithionTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
