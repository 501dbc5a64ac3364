/// How `dilithion-cli` turns command-line words into RPC parameters: a word that is a JSON number,
/// `true`, `false`, `null`, an object or an array is sent as that JSON; anything else (addresses,
/// hashes, commands like `add`) as a string.
public enum CLIParameter {
    /// The JSON for one word.
    public static func parse(_ word: String) -> JSON {
        guard let value = try? JSONParser.parse(word) else { return .string(word) }
        return value
    }

    /// How the CLI prints a result: strings raw, `null` as nothing, everything else as indented JSON.
    public static func display(_ result: JSON) -> String? {
        switch result {
        case .null: return nil
        case .string(let text): return text
        default: return result.prettyText
        }
    }
}
