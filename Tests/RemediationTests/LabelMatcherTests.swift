import Testing

@testable import Remediation

@Suite struct LabelMatcherTests {
    static let cases: [(matcher: String, labels: [String: String], matches: Bool)] = [
        (#"domain="vm1""#, ["domain": "vm1"], true),
        (#"domain="vm1""#, ["domain": "vm10"], false),
        ("domain=vm1", ["domain": "vm1"], true),
        (#" domain = "vm1" "#, ["domain": "vm1"], true),
        (#"domain!="vm1""#, ["domain": "vm2"], true),
        (#"domain!="vm1""#, ["domain": "vm1"], false),
        (#"domain=~"vm""#, ["domain": "vm_centos7"], false),
        (#"domain=~"vm.*""#, ["domain": "vm_centos7"], true),
        (#"domain=~"centos""#, ["domain": "vm_centos7"], false),
        (#"domain=~"vm|db""#, ["domain": "db"], true),
        (#"domain=~"vm|db""#, ["domain": "xdb"], false),
        (#"domain!~"test-.*""#, ["domain": "test-1"], false),
        (#"domain!~"test-.*""#, ["domain": "prod-test-1"], true),
        (#"severity="""#, [:], true),
        (#"severity!="""#, [:], false),
        (#"severity=~".*""#, [:], true),
        (#"severity=~".+""#, [:], false),
        (#"severity!~"critical""#, [:], true),
        (#"severity="critical""#, [:], false),
        (#"note="say \"hi\"""#, ["note": #"say "hi""#], true),
    ]

    @Test(arguments: cases)
    func matchersFollowAlertmanagerSemantics(matcher: String, labels: [String: String], matches: Bool) throws {
        #expect(try LabelMatcher(parsing: matcher).matches(labels) == matches)
    }

    @Test func operatorsAreReadLongestFirst() throws {
        #expect(try LabelMatcher(parsing: #"a!="x""#).op == .notEqual)
        #expect(try LabelMatcher(parsing: #"a=~"x""#).op == .matches)
        #expect(try LabelMatcher(parsing: #"a!~"x""#).op == .notMatches)
        #expect(try LabelMatcher(parsing: #"a="x""#).op == .equal)
        #expect(try LabelMatcher(parsing: #"a="~x""#).description == #"a="~x""#)
    }

    @Test(arguments: ["domain", "=\"x\"", "9a=\"x\"", "a-b=\"x\"", "a!\"x\"", "a=~\"(\""])
    func malformedMatchersAreRejected(text: String) {
        #expect(throws: MatcherError.self) { try LabelMatcher(parsing: text) }
    }

    static let globs: [(name: String, allowed: Bool)] = [
        ("web-1", true), ("web-", true), ("web", false), ("xweb-1", false), ("db01", true), ("db1", false),
        ("db001", false), ("app3", true), ("appx", false), ("app.", false), ("zz9", true), ("zzz", false),
        ("a.b", true), ("aXb", false),
    ]

    @Test(arguments: globs)
    func theAllowListMatchesWholeNamesByGlob(name: String, allowed: Bool) throws {
        let yaml = """
            tokens_file: t
            domains:
              names: ["web-*", "db??", "app[0-9]", "zz[!a-z]", "a.b"]
              metadata_opt_in: false
            """
        let policy = try Policy.parse(yaml: yaml, relativeTo: "/")
        #expect(
            policy.domains.allows(name: name, uuid: "00000000-0000-0000-0000-000000000000", optedIn: true) == allowed)
    }

    @Test func uuidsAndMetadataOptInAllowToo() throws {
        let uuid = "6F3C0A0E-8D2B-4A57-9A56-000000000001"
        let optIn = try Policy.parse(yaml: "tokens_file: t\ndomains:\n  uuids: [\"\(uuid)\"]\n", relativeTo: "/")
        #expect(optIn.domains.allows(name: "anything", uuid: uuid, optedIn: false))
        #expect(optIn.domains.allows(name: "anything", uuid: uuid.lowercased(), optedIn: false))
        #expect(optIn.domains.allows(name: "anything", uuid: "6f3c0a0e-8d2b-4a57-9a56-000000000002", optedIn: true))
        #expect(!optIn.domains.allows(name: "anything", uuid: "6f3c0a0e-8d2b-4a57-9a56-000000000002", optedIn: false))
        let noOptIn = try Policy.parse(yaml: "tokens_file: t\ndomains:\n  metadata_opt_in: false\n", relativeTo: "/")
        #expect(!noOptIn.domains.allows(name: "anything", uuid: uuid, optedIn: true))
    }
}
