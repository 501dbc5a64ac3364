import Testing
@testable import DilithionOps

@Suite struct JSONTests {
    @Test func roundTripsThroughCompactAndPrettyText() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2,3.5,true,false,null,"x\n\"y\" \u00e9 \ud83d\ude00"],"b":{},"c":[],"d":9223372036854775807}"#)
        #expect(try JSONParser.parse(value.compactText) == value)
        #expect(try JSONParser.parse(value.prettyText) == value)
        #expect(value["d"] == .int(Int64.max))
        #expect(value["a"]?.compactText == #"[1,-2,3.5,true,false,null,"x\n\"y\" é 😀"]"#)
    }

    @Test func keepsObjectMemberOrderAndIntegerTypes() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2.0,"m":1e2}"#)
        #expect(value.compactText == #"{"z":1,"a":2.0,"m":100.0}"#)
        #expect(value["z"] == .int(1))
        #expect(value["a"] == .double(2))
    }

    @Test func escapesControlCharactersWhenRendering() {
        #expect(JSON.string("a\u{01}b\u{7F}").compactText == #""a\u0001b\u007f""#)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"abc", "\"\\x\"", "tru", "nul",
        "{\"a\" 1}", "[1 2]", "\"\u{01}\"", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "1 2", "NaN", "{1:2}",
    ])
    func refusesMalformedText(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let allowed = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try JSONParser.parse(allowed)
    }

    @Test func refusesInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }
}
