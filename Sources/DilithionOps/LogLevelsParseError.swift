import Logging

/// A `--loglevel` item that is not a level or `category=level`.
public struct LogLevelsParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which half of the item is wrong.
    public enum Problem: Sendable, Equatable {
        /// The level name is unknown.
        case level
        /// The category name is unknown.
        case category
    }

    /// The offending item as written.
    public let item: String
    /// What is wrong with it.
    public let problem: Problem

    public var description: String {
        switch problem {
        case .level:
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            return "\"\(item)\" is not a level (\(names)) or category=level"
        case .category:
            let names = LogCategory.allCases.map(\.rawValue).joined(separator: ", ")
            return "\"\(item)\" names no category (\(names))"
        }
    }
}
