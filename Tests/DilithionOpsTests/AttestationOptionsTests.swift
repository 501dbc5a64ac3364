import DilithionWire
import Testing
@testable import DilithionOps

/// The seed attestation options and their checks.
@Suite struct AttestationOptionsTests {
    @Test func defaultsAndValues() throws {
        let plain = try ConfigurationTests.resolve([("network", "dilv"), ("datadir", "/d")])
        #expect(plain.attestBind.isEmpty && plain.asnDatabasePath == nil && plain.attestationRateLimit == 1)
        #expect(plain.attestKeyPath == "/d/seed-attestation.key" && plain.datacenterASNsPath == "/d/datacenter-asns.txt")
        let seed = try ConfigurationTests.resolve([
            ("network", "dilv"), ("datadir", "/d"), ("attestbind", "203.0.113.5"), ("attestbind", "[2001:db8::5]:9999"),
            ("asn-db", "~/ip2asn-v4.tsv"), ("datacenter-asns", "/etc/dc.txt"), ("attest-key", "/keys/k"),
            ("attestation-rate-limit", "3"),
        ])
        // The default port is the network's RPC port, where miners call the C++ seeds.
        #expect(seed.attestBind == [Endpoint(host: "203.0.113.5", port: 9332), Endpoint(host: "2001:db8::5", port: 9999)])
        #expect(seed.asnDatabasePath == "/home/op/ip2asn-v4.tsv" && seed.datacenterASNsPath == "/etc/dc.txt")
        #expect(seed.attestKeyPath == "/keys/k" && seed.attestationRateLimit == 3)
        // A public address on the RPC port beside the admin RPC on loopback is fine.
        _ = try ConfigurationTests.resolve([("network", "mainnet"), ("attestbind", "198.51.100.7"), ("asn-db", "/a")])
    }

    @Test(arguments: [
        ([("network", "testnet"), ("attestbind", "127.0.0.1:1"), ("asn-db", "/a")],
         "dilithion-node: --attestbind: testnet has no seed attestation"),
        ([("network", "dilv"), ("attestbind", "127.0.0.1:1")],
         "dilithion-node: --asn-db: required with --attestbind (iptoasn's ip2asn-v4.tsv)"),
        ([("attestbind", "127.0.0.1:1"), ("asn-db", "/a")],
         "dilithion-node: --attest-seed-keys: required with --attestbind on regtest (one hex public key per line)"),
        ([("network", "mainnet"), ("attest-seed-keys", "/s")],
         "dilithion-node: --attest-seed-keys: only allowed with --network regtest (the mainnet seed keys are part of the chain parameters)"),
        ([("network", "dilv"), ("attestbind", "0.0.0.0"), ("asn-db", "/a")],
         "dilithion-node: --attestbind: 0.0.0.0:9332 overlaps the admin RPC on 127.0.0.1:9332; bind the attestation port to the "
            + "public address (e.g. --attestbind 203.0.113.5) or move the admin RPC (--rpcport)"),
        ([("attestation-rate-limit", "0")],
         #"dilithion-node: --attestation-rate-limit: "0" is not a number of new MIKs per /24 per day (1-100)"#),
        ([("attestbind", "seed.example.com")],
         #"dilithion-node: --attestbind: "seed.example.com" is not a numeric IP address with an optional port (e.g. 203.0.113.5 (the seed's public address; port 18745, where miners call))"#),
    ] as [([(String, String)], String)])
    func badCombinationsAreOneLine(flags: [(String, String)], expected: String) {
        #expect(ConfigurationTests.message(flags) == expected)
    }
}
