import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Remediation

/// The policy, tokens and state file readers against damaged and arbitrary input: never a crash, and every result is
/// either a value within the documented bounds or an error that says where the problem is.
@Suite struct ConfigurationPropertyTests {
    /// The policy with every key, as lines to damage.
    static let exampleLines = PolicyParsingTests.example.split(separator: "\n").map(String.init)

    /// An accepted policy keeps every duration and number inside the bounds the loader documents.
    private func checkBounds(_ policy: Policy) {
        #expect(DurationBounds.history.contains(policy.limits.cooldown))
        #expect(DurationBounds.history.contains(policy.limits.window))
        #expect(policy.limits.quarantineFor.map(DurationBounds.history.contains) ?? true)
        #expect(DurationBounds.confirmation.contains(policy.limits.startTimeout))
        #expect(DurationBounds.confirmation.contains(policy.limits.forceTimeout))
        #expect(DurationBounds.shutdown.contains(policy.api.shutdownTimeout))
        #expect(policy.rules.allSatisfy { DurationBounds.shutdown.contains($0.shutdownTimeout) })
        #expect((1...1000).contains(policy.limits.maxActions))
        #expect((1...64).contains(policy.limits.concurrency))
        #expect((0...1).contains(policy.breaker.maxDownRatio))
        #expect((1024...(64 << 20)).contains(policy.api.maxBodyBytes))
        for file in [policy.stateFile, policy.auditLog, policy.tokensFile] {
            #expect(file.hasPrefix("/") && !file.hasSuffix("/"), "\(file)")
        }
    }

    /// An error names a line of the document (or, for the whole file, says so) and is never empty.
    private func checkLocated(_ error: ConfigError, lines: Int, _ yaml: String) {
        #expect(!error.message.isEmpty)
        #expect((0...lines).contains(error.line), "\(error)\n\(yaml)")
        if error.line == 0 { #expect(error.message == "the file is empty", "\(error)\n\(yaml)") }
    }

    private func checkPolicy(_ yaml: String) {
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
        do {
            checkBounds(try Policy.parse(yaml: yaml, relativeTo: "/etc/kvm-agent"))
        } catch let error as ConfigError {
            checkLocated(error, lines: lines, yaml)
        } catch {
            Issue.record("unexpected error \(error)\n\(yaml)")
        }
    }

    @Test func damagedPoliciesAreValidOrLocatedErrors() async {
        await checkProperty(count: 1500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            checkPolicy(YAMLMutation.mutate(Self.exampleLines, using: &rng))
        }
    }

    /// Each hostile value at each key of the example, one at a time.
    @Test func everyHostileValueAtEveryKey() {
        for index in Self.exampleLines.indices where Self.exampleLines[index].contains(":") {
            for value in YAMLMutation.hostileScalars {
                var lines = Self.exampleLines
                lines[index] = YAMLMutation.replacingValue(lines[index], with: value)
                checkPolicy(lines.joined(separator: "\n"))
            }
        }
    }

    @Test func arbitraryTextIsRejectedCleanly() async {
        await checkProperty(count: 1000, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            let text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in rng.unicodeString(maxLength: 30) }
            checkPolicy(text.joined(separator: rng.pick(["\n", ": ", "\n  - ", "\n  "])))
        }
    }

    @Test func arbitraryTokensFilesAreRejectedCleanly() async {
        let fields = [
            "ops", "am", "webhook", "api", "webhook,api", "#", "api,", ",", "\t", " ", "\r", "\u{2028}", "\u{0}",
            "0123456789abcdef0123456789abcdef", "REPLACE-WITH-A-LONG-RANDOM-TOKEN-1", "\u{1F600}", "\n",
        ]
        await checkProperty(count: 1500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            let text = (0..<Int.random(in: 0...30, using: &rng)).map { _ in
                rng.chance(0.2) ? rng.unicodeString(maxLength: 8) : rng.pick(fields)
            }.joined(separator: rng.pick([" ", "\n", " "]))
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
            do {
                let tokens = try AccessTokens.parse(text, path: "tokens")
                #expect(!tokens.entries.isEmpty)
            } catch let error as ConfigError {
                #expect(!error.message.isEmpty)
                #expect((0...lines).contains(error.line), "\(error)")
                #expect(error.path == "tokens")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func damagedStateFilesLoadWithinBoundsOrAreRefused() async throws {
        let encoder = JSONEncoder()
        let sample = try JSONValue.parse(
            String(decoding: try encoder.encode(StateFileValidationTests.valid()), as: UTF8.self))
        let directory = try TemporaryDirectory()
        let file = StateFile(path: directory.file("state.json"))
        await checkProperty(count: 1500, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix(seed: seed)
            var document = sample
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let paths = document.paths()
                guard !paths.isEmpty else { break }
                let path = rng.pick(paths)
                document = document.setting(path, to: rng.chance(0.1) ? nil : rng.pick(HostileJSON.values))
            }
            var text = document.render()
            if rng.chance(0.1) { text = String(text.prefix(Int.random(in: 0...text.count, using: &rng))) }
            do {
                try text.write(toFile: file.path, atomically: false, encoding: .utf8)
                let state = try file.load()
                // Loaded: the counter can go on, and every time is a finite date.
                #expect((1...(1 << 53)).contains(state.nextActionNumber))
                #expect(state.version == 1)
                let times =
                    state.seen.values
                    + state.domains.values.flatMap {
                        $0.actionTimes + [$0.quarantinedAt, $0.quarantineUntil].compactMap { $0 }
                    }
                #expect(times.allSatisfy { $0.isFinite && $0 >= 0 })
                #expect(state.pending.allSatisfy { $0.key == $0.value.id && Int($0.key).map { $0 >= 1 } == true })
            } catch let error as StateFileError {
                #expect(!error.field.isEmpty && !error.message.isEmpty)
            } catch let error as DurableFile.Failure {
                #expect(error.description.contains("is not a kvm-agent state file"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
