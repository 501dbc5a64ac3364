/// The HTTP servers' `/metrics` families, one label value per server (`rpc`, `attest`, `metrics`).
extension HTTPServerStatistics {
    /// Prometheus text for several servers, each family once with a `server` label.
    public static func prometheusText(_ servers: [(name: String, statistics: HTTPServerStatistics)]) -> String {
        var out = PrometheusText()
        out.family("dilithion_http_connections", type: .gauge, help: "Open HTTP connections.")
        for (name, statistics) in servers {
            out.sample("dilithion_http_connections", labels: [("server", name)], value: statistics.openConnections)
        }
        out.family("dilithion_http_accepted_total", type: .counter, help: "HTTP connections accepted.")
        for (name, statistics) in servers {
            out.sample("dilithion_http_accepted_total", labels: [("server", name)], value: statistics.accepted)
        }
        out.family("dilithion_http_requests_total", type: .counter, help: "HTTP requests answered by a handler.")
        for (name, statistics) in servers {
            out.sample("dilithion_http_requests_total", labels: [("server", name)], value: statistics.requests)
        }
        out.family("dilithion_http_closes_total", type: .counter,
                   help: "HTTP connections refused or closed by the server, by reason (HTTPServerStatistics.closes).")
        for (name, statistics) in servers {
            for reason in statistics.closes.keys.sorted() {
                out.sample("dilithion_http_closes_total", labels: [("server", name), ("reason", reason)],
                           value: statistics.closes[reason]!)
            }
        }
        return out.text
    }
}
