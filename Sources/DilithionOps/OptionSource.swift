/// Where an option's value came from, so an error can point at it.
public enum OptionSource: Sendable, Equatable {
    /// A command-line flag.
    case commandLine
    /// Line `line` (1-based) of the configuration file at `path`.
    case file(path: String, line: Int)
}
