import DilithionSystem
import Logging

/// A log handler that keeps every line with its metadata, to assert on the stable disconnect line.
final class LogCapture: @unchecked Sendable {
    struct Line {
        let message: String
        let metadata: [String: String]
    }

    private let lock = PThreadMutex()
    private var _lines: [Line] = []

    var lines: [Line] { lock.withLock { _lines } }

    func append(_ line: Line) {
        lock.withLock { _lines.append(line) }
    }

    var logger: Logger {
        Logger(label: "capture", factory: { _ in Handler(capture: self) })
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var flat: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                flat[key] = "\(value)"
            }
            capture.append(Line(message: "\(event.message)", metadata: flat))
        }
    }
}
