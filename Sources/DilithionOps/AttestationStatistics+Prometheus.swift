import DilithionAttestation

/// The seed attestation service's `/metrics` families.
extension AttestationStatistics {
    /// Prometheus text (format 0.0.4).
    public var prometheusText: String {
        var out = PrometheusText()
        out.family("dilithion_attestations_signed_total", type: .counter,
                   help: "Seed attestations signed, by whether the MIK was new to the caller's /24 or a renewal.")
        out.sample("dilithion_attestations_signed_total", labels: [("kind", "new")], value: grantedNew)
        out.sample("dilithion_attestations_signed_total", labels: [("kind", "renewal")], value: grantedRenewal)
        out.labelled("dilithion_attestations_refused_total", type: .counter,
                     help: "getmikattestation calls refused, by reason.", label: "reason", values: refusals)
        out.single("dilithion_attestation_rate_limit_subnets", type: .gauge,
                   help: "/24 subnets the new-MIK rate limit holds state for.", value: Double(trackedSubnets))
        out.single("dilithion_attestation_seed_id", type: .gauge, help: "The seed id this node signs attestations as.",
                   value: Double(seedID))
        out.single("dilithion_attestation_asn_ranges", type: .gauge, help: "IPv4 ranges in the loaded ASN table.",
                   value: Double(asnRanges))
        out.single("dilithion_attestation_datacenter_asns", type: .gauge, help: "ASNs in the loaded datacenter list.",
                   value: Double(datacenterASNs))
        return out.text
    }
}
