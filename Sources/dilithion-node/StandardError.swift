#if canImport(Glibc)
import Glibc
#endif

/// Writes one line to standard error (the libc `stderr` global is not concurrency-safe in Swift 6).
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}
