/// JSON values that do not belong where the state file has a number, a string or an id.
enum HostileJSON {
    static let values: [JSONValue] = [
        .number("9223372036854775807"), .number("9223372036854775808"), .number("-9223372036854775808"),
        .number("-1"), .number("0"), .number("1e400"), .number("-1e400"), .number("1e300"), .number("9007199254740993"),
        .number("1.5"), .number("-0"), .string("x"), .string("-1"), .string(""), .string("NaN"), .null, .bool(true),
        .array([]), .object([]),
    ]
}
