import ArgumentParser
import Foundation
import Remediation

/// `kvm-agent check-config FILE`: validates a policy file and the tokens file it names, as
/// `promtool check config` does for Prometheus, so a bad file is caught before a restart.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a remediation policy file and the tokens file it names.")

    @Argument(help: "The policy file (YAML).")
    var file: String

    func run() throws {
        do {
            let policy = try Policy.load(path: file)
            do {
                _ = try AccessTokens.load(path: policy.tokensFile)
            } catch let error as ConfigError {
                // The line is the tokens file's, not the policy's: name that file first.
                printError("\(policy.tokensFile): \(ConfigError(line: error.line, path: "", message: error.message))")
                throw ExitCode(1)
            }
            let dryRun = policy.dryRun ? "on" : "off"
            print("\(file): OK, \(policy.rules.count) rule(s), global dry run \(dryRun)")
            for rule in policy.rules {
                let dry = (rule.dryRun ?? policy.dryRun) ? " (dry run)" : ""
                print("  \(rule.name): \(rule.alertnames.joined(separator: "|")) -> \(rule.action.rawValue)\(dry)")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(file): \(error)")
            throw ExitCode(1)
        }
    }

    private func printError(_ text: String) {
        var standardError = StandardError()
        print(text, to: &standardError)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
