import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `-o/--output` through the built binary: every command writes through one helper that
/// replaces regular files atomically, follows symbolic links, writes FIFOs and devices in
/// place, refuses directories, and leaves an existing file untouched when the write fails.
@Suite("apiary -o/--output")
struct OutputFileTests {
    /// A fresh temporary directory, removed when the test ends.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-out-\(UUID())").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
        func text(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }
        func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    }

    static func type(_ path: String) -> mode_t {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        return st.st_mode & S_IFMT
    }

    static let census = "fixtures/habitat/census.json"

    @Test("plan -o LINK writes the link's target and keeps the link")
    func symlink() throws {
        let dir = try Scratch()
        try "old\n".write(toFile: dir.file("target.json"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.json"), withDestinationPath: "target.json")
        let r = try CLITests.run(["plan", "fixtures/infeasible", "-f", "json", "-o", dir.file("link.json")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.type(dir.file("link.json")) == S_IFLNK, "the link is still a link")
        #expect(dir.text("target.json")?.contains("\"format\" : \"apiary-plan/1\"") == true)
        #expect(dir.entries() == ["link.json", "target.json"])
    }

    @Test("import -o FIFO writes into the FIFO and leaves it a FIFO")
    func fifo() throws {
        let dir = try Scratch()
        let path = dir.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        let received = Received()
        let reader = Thread {
            let handle = FileHandle(forReadingAtPath: path)
            received.set(handle?.readDataToEndOfFile() ?? Data())
            try? handle?.close()
        }
        reader.start()
        let r = try CLITests.run(["import", "habitat-census", Self.census, "-o", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(String(decoding: received.wait(), as: UTF8.self).contains("[[placement]]"))
        #expect(Self.type(path) == S_IFIFO)
    }

    @Test("-o /dev/null leaves /dev/null a character device")
    func devNull() throws {
        let r = try CLITests.run(["import", "habitat-census", Self.census, "-o", "/dev/null"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.type("/dev/null") == S_IFCHR)
    }

    @Test("report -o DIR says the path is a directory and exits 74")
    func directory() throws {
        let dir = try Scratch()
        let r = try CLITests.run(["report", "fixtures/infeasible", "-f", "csv", "-o", dir.path])
        #expect(r.status == 74)
        #expect(r.stderr == "error: \(dir.path): is a directory, expected a file to write to\n")
        #expect(dir.entries().isEmpty)
    }

    @Test("a write that fails (file size limit) exits 74 and leaves the existing file as it was")
    func failedWriteKeepsTheOldFile() throws {
        let dir = try Scratch()
        try "keep me\n".write(toFile: dir.file("plan.json"), atomically: false, encoding: .utf8)
        // The shell ignores SIGXFSZ (inherited through exec) and caps files at one block, so the
        // plan's write fails with EFBIG halfway through the temporary file.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let binary = try #require(CLITests.binary, "build the apiary product first (swift build)")
        process.arguments = [
            "-c", "trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"", binary.path,
            "plan", "fixtures/demo", "--time-limit", "0.1", "-f", "json", "-o", dir.file("plan.json"),
        ]
        process.currentDirectoryURL = CLITests.root
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 74)
        #expect(stderr.contains("error: \(dir.file("plan.json")): cannot write: file too large"), "\(stderr)")
        #expect(dir.text("plan.json") == "keep me\n")
        #expect(dir.entries() == ["plan.json"], "the temporary file is removed")
    }
}

/// Data handed from a reader thread to the test.
private final class Received: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()
    func set(_ value: Data) {
        data = value
        done.signal()
    }
    func wait() -> Data {
        done.wait()
        return data
    }
}
