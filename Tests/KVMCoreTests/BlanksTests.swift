import Testing

@testable import KVMCore

@Suite struct BlanksTests {
    @Test(arguments: [
        (" \tgzip\t ", "gzip"), ("Y\n", "Y"), ("up\r\n", "up"), ("\r\n", ""), ("", ""), ("   ", ""),
        ("a b", "a b"), (" q=0.5", "q=0.5"),
        // Only ASCII blanks go: HTTP's optional whitespace and the kernel's values use no others.
        ("\u{00A0}text\u{00A0}", "\u{00A0}text\u{00A0}"), ("\u{2003}x", "\u{2003}x"),
    ])
    func trims(_ text: String, _ expected: String) {
        #expect(text.trimmingBlanks() == expected)
        #expect(text[...].trimmingBlanks() == expected)
    }
}
