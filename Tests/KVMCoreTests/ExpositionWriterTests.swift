import Testing

@testable import KVMCore

@Suite struct ExpositionWriterTests {
    private func write(_ labelValue: String) -> String {
        var writer = ExpositionWriter()
        writer.family("kvm_test_info", .gauge, help: "Test.") { $0.add(["value": labelValue], 1) }
        return writer.output
    }

    @Test func labelValuesEscapeQuoteBackslashAndNewline() throws {
        let raw = "say \"hi\" from C:\\vms\nsecond line"
        let output = write(raw)
        #expect(output.hasSuffix("kvm_test_info{value=\"say \\\"hi\\\" from C:\\\\vms\\nsecond line\"} 1\n"))
        let parsed = ParsedExposition(output)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.samples("kvm_test_info").first?.labels["value"] == raw)
    }

    @Test func carriageReturnNewlineInLabelValueIsEscaped() throws {
        // "\r\n" is one Character in Swift; its LF must still be escaped or the sample line breaks in two.
        let raw = "line one\r\nline two"
        let output = write(raw)
        let parsed = ParsedExposition(output)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.samples("kvm_test_info").first?.labels["value"] == raw)
    }

    @Test func plainLabelValuesAreWrittenAsIs() {
        #expect(
            write("/var/lib/libvirt/images/é.qcow2").hasSuffix(
                "kvm_test_info{value=\"/var/lib/libvirt/images/é.qcow2\"} 1\n"))
    }

    @Test func helpEscapesBackslashAndNewlineButNotQuotes() {
        var writer = ExpositionWriter()
        writer.family("kvm_test", .gauge, help: "Reads C:\\stats \"raw\"\nand more.") { $0.add(1) }
        #expect(
            writer.output
                == "# HELP kvm_test Reads C:\\\\stats \"raw\"\\nand more.\n# TYPE kvm_test gauge\nkvm_test 1\n")
    }

    @Test func helpWithCarriageReturnNewlineStaysOnOneLine() {
        var writer = ExpositionWriter()
        writer.family("kvm_test", .gauge, help: "one\r\ntwo") { $0.add(1) }
        let parsed = ParsedExposition(writer.output)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
    }

    @Test func formatSpellsSpecialValuesAsPrometheusParsesThem() {
        #expect(ExpositionWriter.format(.nan) == "NaN")
        #expect(ExpositionWriter.format(.infinity) == "+Inf")
        #expect(ExpositionWriter.format(-.infinity) == "-Inf")
    }

    @Test func formatWritesIntegersWithoutExponent() {
        #expect(ExpositionWriter.format(0) == "0")
        #expect(ExpositionWriter.format(42) == "42")
        #expect(ExpositionWriter.format(-7) == "-7")
        #expect(ExpositionWriter.format(1_073_741_824) == "1073741824")
        #expect(ExpositionWriter.format(21_474_836_480) == "21474836480")
        #expect(ExpositionWriter.format(100_000_000_000_001) == "100000000000001")
    }

    @Test(arguments: [0.5, 12.25, 0.001, 1e-9, 1_700_000_100.25, 3.141592653589793, 1e300, -2.5])
    func formatWritesFractionsThatReadBackExactly(_ value: Double) throws {
        let text = ExpositionWriter.format(value)
        #expect(!text.contains(" "))
        #expect(Double(text) == value, "\(text)")
    }

    @Test func nilValuesAndEmptyFamiliesWriteNothing() {
        var writer = ExpositionWriter()
        writer.family("kvm_absent", .gauge, help: "Nothing.") { $0.add(nil) }
        writer.family("kvm_absent_labelled", .gauge, help: "Nothing.") { $0.add(["domain": "a"], nil) }
        #expect(writer.output == "")
    }

    @Test func duplicateSeriesAreDroppedAndCounted() {
        var writer = ExpositionWriter()
        writer.family("kvm_test", .gauge, help: "Test.") { samples in
            samples.add(["domain": "a", "interface": "vnet0"], 1)
            samples.add(["domain": "a", "interface": "vnet0"], 2)
            samples.add(["domain": "a", "interface": "vnet1"], 3)
        }
        writer.family("kvm_other", .gauge, help: "Same labels, other family.") { samples in
            samples.add(["domain": "a", "interface": "vnet0"], 4)
        }
        #expect(writer.duplicatesDropped == 1)
        let parsed = ParsedExposition(writer.output)
        #expect(parsed.samples("kvm_test").map(\.value) == ["1", "3"])
        #expect(parsed.samples("kvm_other").map(\.value) == ["4"])
    }

    /// Lines are written in place and a repeat is cut off again by UTF-8 offset: multi-byte label values,
    /// escaped ones, and a repeat far from its first occurrence leave the other lines whole.
    @Test func duplicatesAmongMultiByteAndEscapedLabelsAreCutCleanly() {
        var writer = ExpositionWriter()
        writer.family("kvm_test", .gauge, help: "Test.") { samples in
            samples.add(["domain": "grüße-☃"], 1)
            samples.add(["domain": "say \"hi\"\n"], 2)
            for index in 0..<500 { samples.add(["domain": "d\(index)"], Double(index)) }
            samples.add(["domain": "grüße-☃"], 3)
            samples.add(["domain": "say \"hi\"\n"], 4)
            samples.add(["domain": "grüße-☃!"], 5)
        }
        #expect(writer.duplicatesDropped == 2)
        let parsed = ParsedExposition(writer.output)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.samples("kvm_test").count == 503)
        #expect(parsed.value("kvm_test", ["domain": "grüße-☃"]) == "1")
        #expect(parsed.value("kvm_test", ["domain": "grüße-☃!"]) == "5")
        #expect(writer.output.hasSuffix("kvm_test{domain=\"grüße-☃!\"} 5\n"))
    }

    @Test func labelsKeepTheirOrder() {
        var writer = ExpositionWriter()
        writer.family("kvm_test", .gauge, help: "Test.") { $0.add(["z": "1", "a": "2", "m": "3"], 1) }
        #expect(writer.output.hasSuffix("kvm_test{z=\"1\",a=\"2\",m=\"3\"} 1\n"))
    }
}
