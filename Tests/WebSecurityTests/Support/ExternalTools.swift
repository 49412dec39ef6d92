import Foundation

/// The command-line tools the TLS tests drive: `openssl` makes the certificates, `curl` is the client.
enum ExternalTools {
    static let openssl = Self.find("openssl")
    static let curl = Self.find("curl")
    static var available: Bool { Self.openssl != nil && Self.curl != nil }

    private static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}

struct ProcessResult {
    var status: Int32
    var output: String
    var errorOutput: String
}

/// Runs a program to completion without blocking a concurrency thread: the termination handler resumes the caller.
/// Output goes to files, so a chatty program can never stall on a full pipe.
func runProcess(_ executable: String, _ arguments: [String], workingDirectory: String) async throws -> ProcessResult {
    let id = UUID().uuidString
    let outputPath = "\(workingDirectory)/.\(id).out"
    let errorPath = "\(workingDirectory)/.\(id).err"
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    defer {
        try? output.close()
        try? errors.close()
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = errors
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    return ProcessResult(
        status: status,
        output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
        errorOutput: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}
