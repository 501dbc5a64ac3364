/// Builds Prometheus text exposition format 0.0.4: a `# HELP` and `# TYPE` line per metric family,
/// then its samples, with label values and help text escaped as the format requires.
public struct PrometheusText {
    /// The metric types this node exposes.
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram
    }

    /// The `Content-Type` of the rendered text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    public mutating func family(_ name: String, type: MetricType, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample line, labels in the given order.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(Self.format(value))\n"
    }

    /// One sample line with an integer value.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Int) {
        sample(name, labels: labels, value: Double(value))
    }

    /// A family with one unlabelled sample.
    public mutating func single(_ name: String, type: MetricType, help: String, value: Double) {
        family(name, type: type, help: help)
        sample(name, value: value)
    }

    /// A family with one sample per dictionary entry, labelled `label`, sorted for stable output.
    public mutating func labelled(_ name: String, type: MetricType, help: String, label: String, values: [String: Int]) {
        family(name, type: type, help: help)
        for key in values.keys.sorted() { sample(name, labels: [(label, key)], value: values[key]!) }
    }

    /// A histogram of `observations` over the upper bounds `buckets` (cumulative, plus `+Inf`,
    /// `_sum` and `_count`).
    public mutating func histogram(_ name: String, help: String, buckets: [Double], observations: [Double]) {
        family(name, type: .histogram, help: help)
        for bound in buckets {
            sample(name + "_bucket", labels: [("le", Self.format(bound))], value: observations.filter { $0 <= bound }.count)
        }
        sample(name + "_bucket", labels: [("le", "+Inf")], value: observations.count)
        sample(name + "_sum", value: observations.reduce(0, +))
        sample(name + "_count", value: observations.count)
    }

    /// Sample values: integers without a fraction, `NaN`, `+Inf`, `-Inf` as the format spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Help text: backslash and newline escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// Label values: backslash, double quote and newline escaped.
    static func escapeLabelValue(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation needed).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
