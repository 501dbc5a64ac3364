#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The node's swift-log handler: one line per event,
/// `2025-05-01T12:00:00.123Z info [net] message key=value …`, to a ``LogSink``, filtered by
/// ``LogLevels`` per ``LogCategory``.
///
/// A logger's category is its label's last component (`dilithion.net` → net). A logger labelled
/// `dilithion.node` speaks for peer, sync and store at once: it passes the most verbose of their
/// levels, and a message carrying `category` metadata is then held to that category's level.
/// Control characters in messages and metadata are escaped, so a peer-supplied string cannot
/// forge log lines.
public struct NodeLogHandler: LogHandler {
    /// The label the node's own logger uses.
    public static let nodeLabel = "dilithion.node"
    /// The categories the node's own logger covers.
    public static let nodeCategories: [LogCategory] = [.peer, .sync, .store]

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let category: LogCategory?
    private let levels: LogLevels
    private let sink: LogSink

    /// A handler for a logger labelled `label`.
    public init(label: String, levels: LogLevels, sink: LogSink) {
        self.label = label
        self.levels = levels
        self.sink = sink
        let suffix = label.split(separator: ".").last.map(String.init) ?? label
        self.category = LogCategory(rawValue: suffix)
        self.logLevel = label == Self.nodeLabel
            ? levels.level(forAnyOf: Self.nodeCategories) : levels.level(for: category)
    }

    /// `LoggingSystem.bootstrap(NodeLogHandler.factory(levels:sink:))`.
    public static func factory(levels: LogLevels, sink: LogSink) -> @Sendable (String) -> any LogHandler {
        { label in NodeLogHandler(label: label, levels: levels, sink: sink) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var shownCategory = category?.rawValue ?? (label.split(separator: ".").last.map(String.init) ?? label)
        if case .string(let name)? = merged["category"], let messageCategory = LogCategory(rawValue: name) {
            guard event.level >= levels.level(for: messageCategory) else { return }
            shownCategory = name
            merged["category"] = nil
        }
        sink.write(line: Self.format(
            time: Self.now(), level: event.level, category: shownCategory, message: "\(event.message)", metadata: merged))
    }

    /// The line for one event (metadata sorted by key, so lines are stable).
    static func format(time: (seconds: Int, milliseconds: Int), level: Logger.Level, category: String,
                       message: String, metadata: Logger.Metadata) -> String {
        var line = timestamp(seconds: time.seconds, milliseconds: time.milliseconds)
        line += " \(level.rawValue) [\(category)] \(sanitized(message))"
        for key in metadata.keys.sorted() {
            line += " \(sanitized(key))=\(sanitized("\(metadata[key]!)"))"
        }
        return line
    }

    /// ISO 8601 UTC with milliseconds.
    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }

    /// Control characters as `\xNN`, so every event stays on one line.
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec / 1_000_000))
    }
}
