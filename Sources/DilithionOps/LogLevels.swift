import Logging

/// The log level overall and per ``LogCategory``, parsed from `--loglevel`.
///
/// Syntax: comma-separated items, each a level (`debug`) or `category=level` (`net=debug`); a bare
/// level sets the default, the rest override it per category: `info,net=debug,rpc=warning`.
public struct LogLevels: Sendable, Equatable {
    /// The level of categories without their own and of loggers with no category.
    public var defaultLevel: Logger.Level
    /// Per-category overrides.
    public var overrides: [LogCategory: Logger.Level]

    /// Every category at `defaultLevel`.
    public init(defaultLevel: Logger.Level = .info, overrides: [LogCategory: Logger.Level] = [:]) {
        self.defaultLevel = defaultLevel
        self.overrides = overrides
    }

    /// The level in force for `category` (nil = no category: the default).
    public func level(for category: LogCategory?) -> Logger.Level {
        category.flatMap { overrides[$0] } ?? defaultLevel
    }

    /// The level for the node's own logger, which logs for several categories at once: the most
    /// verbose of them, so `--loglevel sync=debug` shows its debug lines.
    public func level(forAnyOf categories: [LogCategory]) -> Logger.Level {
        categories.map { level(for: $0) }.min() ?? defaultLevel
    }

    /// Parses `--loglevel` text; the error message says which item is wrong and lists the choices.
    public static func parse(_ text: String) -> Result<LogLevels, LogLevelsParseError> {
        var levels = LogLevels()
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 1 {
                guard let level = Logger.Level(rawValue: String(parts[0]).lowercased()) else {
                    return .failure(LogLevelsParseError(item: String(item), problem: .level))
                }
                levels.defaultLevel = level
            } else {
                guard let category = LogCategory(rawValue: String(parts[0]).lowercased()) else {
                    return .failure(LogLevelsParseError(item: String(item), problem: .category))
                }
                guard let level = Logger.Level(rawValue: String(parts[1]).lowercased()) else {
                    return .failure(LogLevelsParseError(item: String(item), problem: .level))
                }
                levels.overrides[category] = level
            }
        }
        return .success(levels)
    }
}
