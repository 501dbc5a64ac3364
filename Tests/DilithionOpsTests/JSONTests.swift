import Testing
@testable import DilithionOps

@Suite struct JSONTests {
    @Test func roundTrip() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2,3.5,true,false,null,"x\n\"y\""],"b":{}}"#)
        #expect(try JSONParser.parse(value.compactText) == value)
        #expect(try JSONParser.parse(value.prettyText) == value)
    }
}
