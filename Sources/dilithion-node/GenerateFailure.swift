/// A `generate` failure outside the store's own errors.
struct GenerateFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
