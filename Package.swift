// swift-tools-version:6.0
import PackageDescription

// Dependencies point down only:
// respaldo -> RespaldoCore -> {Storage, Age, SSHSig, Gzip} -> {Curl, CryptoPrimitives} -> C modules
// (RespaldoCore also uses Curl, for alerts, and CryptoPrimitives directly). SSHSig (OpenSSH
// key files, SSHSIG signatures, allowed_signers) sits beside Age, on CryptoPrimitives.
// Threading, the one lock to wait on and the one hand-off of a non-Sendable object to another
// thread, is below the targets that start threads of their own.
// Each C module has one Swift wrapper, its only importer: Gzip (CZlib), CryptoPrimitives
// (COpenSSL), Curl (CCurl).
let package = Package(
    name: "respaldo",
    products: [
        .executable(name: "respaldo", targets: ["respaldo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // timerfd and eventfd, which Glibc's Swift module lacks (the daemon's timer), and the
        // fork + PR_SET_PDEATHSIG + exec that starts child processes (Sources/Spawner.swift).
        .systemLibrary(name: "CLinux"),

        .target(name: "Threading"),
        .target(name: "Gzip", dependencies: ["CZlib", "Threading"]),
        .target(name: "CryptoPrimitives", dependencies: ["COpenSSL"]),
        .target(name: "Age", dependencies: ["CryptoPrimitives"]),
        .target(name: "SSHSig", dependencies: ["CryptoPrimitives"]),
        .target(name: "Curl", dependencies: ["CCurl"]),
        .target(name: "Storage", dependencies: ["Curl", "CryptoPrimitives"]),
        .target(
            name: "RespaldoCore",
            dependencies: [
                "Gzip", "Age", "SSHSig", "Storage", "CryptoPrimitives", "Curl", "CLinux", "Threading",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "respaldo",
            dependencies: [
                "RespaldoCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "ThreadingTests", dependencies: ["Threading"]),
        .testTarget(name: "GzipTests", dependencies: ["Gzip", "Threading"]),
        .testTarget(name: "CryptoPrimitivesTests", dependencies: ["CryptoPrimitives"]),
        .testTarget(name: "AgeTests", dependencies: ["Age", "CryptoPrimitives"]),
        .testTarget(name: "SSHSigTests", dependencies: ["SSHSig", "CryptoPrimitives"]),
        .testTarget(name: "CurlTests", dependencies: ["Curl"]),
        // Real servers for the tests (sshd), shared by the storage and the integration tests.
        .target(name: "TestFixtures", path: "Tests/Fixtures"),
        // The one Store contract suite (restic's internal/backend/test), run by StorageTests
        // against every store; RespaldoCore's job tests may use it with MemoryStore too.
        .target(name: "StoreContract", dependencies: ["Storage"], path: "Tests/StoreContract"),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestFixtures", "StoreContract"]),
        .testTarget(
            name: "RespaldoCoreTests",
            dependencies: ["RespaldoCore", "Age", "Storage", "Threading", "TestFixtures", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "IntegrationTests", dependencies: ["TestFixtures"]),
        // The command line's own decisions (exit statuses), without starting the binary.
        .testTarget(name: "CLITests", dependencies: ["respaldo"]),
    ]
)
