import Foundation
import Remediation
import Testing

/// The README's metric catalogue and policy example stay true to the code.
@Suite struct ReadmeTests {
    static func readme() throws -> String {
        try String(contentsOf: Repo.root.appending(path: "README.md"), encoding: .utf8)
    }

    /// Every family the agent exports, with remediation on, is in the catalogue.
    @Test func catalogueListsEveryFamily() async throws {
        let readme = try Self.readme()
        let catalogued = Set(
            readme.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
                let name = String(line[line.index(line.startIndex, offsetBy: 3)..<end])
                return name.hasPrefix("kvm_") || name.hasPrefix("process_") ? name : nil
            })
        let fixture = try RemediationFixture(
            domains: ["web01"], rules: "  - name: r\n    alertname: A\n    action: start\n")
        defer { fixture.remove() }
        let exported = try await withAgent(uri: Repo.demoURI, policy: try fixture.policy()) { client in
            let (_, ok) = try await client.scrape(until: DemoHostTests.ready)
            #expect(ok)
            // A request to the API makes the request counter appear.
            _ = try await client.get("/api/v1/actions")
            return Set(
                try await client.scrape().text.split(separator: "\n").compactMap { line -> String? in
                    guard line.hasPrefix("# HELP ") else { return nil }
                    return line.dropFirst(7).split(separator: " ").first.map(String.init)
                }
            )
        }
        let missing = exported.subtracting(catalogued)
        #expect(missing.isEmpty, "exported but not in README: \(missing.sorted())")
        // The other direction does not hold on the demo host: the test driver has no balloon, vCPU wait or
        // block timing figures, and no event has happened yet.
        #expect(exported.count >= 60)
    }

    @Test func policyExampleParses() throws {
        let readme = try Self.readme()
        let section = try #require(readme.range(of: "### Policy"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```yaml\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```"))
        let policy = try Policy.parse(yaml: String(rest[start.upperBound..<end.lowerBound]), relativeTo: "/")
        #expect(policy.rules.map(\.action) == [.start, .shutdown, .reset])
        #expect(policy.dryRun)
    }
}
