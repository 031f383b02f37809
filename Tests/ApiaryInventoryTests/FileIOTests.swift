import Foundation
import Testing

@testable import ApiaryInventory

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `FileIO.write` replaces regular files atomically, follows links, writes devices and FIFOs in
/// place and refuses directories; `FileIO.read` says what is wrong with a path in words.
@Suite("Reading and writing files")
struct FileIOTests {
    /// A fresh temporary directory, removed when the test ends.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-fileio-\(UUID())").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
        func text(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }
        func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        return st.st_mode & S_IFMT
    }

    @Test("a new file and an existing regular file are written whole; the old file's mode stays")
    func regularFiles() throws {
        let dir = try Scratch()
        try FileIO.write(Data("one\n".utf8), to: dir.file("out.json"))
        #expect(dir.text("out.json") == "one\n")
        chmod(dir.file("out.json"), 0o640)
        try FileIO.write(Data("two\n".utf8), to: dir.file("out.json"))
        #expect(dir.text("out.json") == "two\n")
        var st = stat()
        stat(dir.file("out.json"), &st)
        #expect(st.st_mode & 0o777 == 0o640)
        #expect(dir.entries() == ["out.json"], "no temporary file is left behind")
    }

    @Test("a symbolic link is followed: its target is replaced and the link stays a link")
    func symlink() throws {
        let dir = try Scratch()
        try "old\n".write(toFile: dir.file("target.json"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.json"), withDestinationPath: "target.json")
        try FileIO.write(Data("new\n".utf8), to: dir.file("link.json"))
        #expect(fileType(dir.file("link.json")) == S_IFLNK)
        #expect(dir.text("target.json") == "new\n")
        #expect(dir.entries() == ["link.json", "target.json"])
    }

    @Test("a link to a file that does not exist yet creates that file")
    func danglingSymlink() throws {
        let dir = try Scratch()
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.json"), withDestinationPath: "sub/new.json")
        try FileIO.write(Data("made\n".utf8), to: dir.file("link.json"))
        #expect(fileType(dir.file("link.json")) == S_IFLNK)
        #expect(dir.text("sub/new.json") == "made\n")
    }

    @Test("a FIFO is written in place, not replaced by a regular file")
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
        try FileIO.write(Data("through the pipe\n".utf8), to: path)
        #expect(received.wait() == Data("through the pipe\n".utf8))
        #expect(fileType(path) == S_IFIFO)
    }

    @Test("a character device is written in place: /dev/null stays a device")
    func device() throws {
        try FileIO.write(Data("discarded\n".utf8), to: "/dev/null")
        #expect(fileType("/dev/null") == S_IFCHR)
    }

    @Test("a directory is refused with \"is a directory\", and so is a link to one")
    func directory() throws {
        let dir = try Scratch()
        let error = #expect(throws: InventoryError.self) { try FileIO.write(Data("x".utf8), to: dir.path) }
        #expect(error?.kind == .io)
        #expect(error?.description == "\(dir.path): is a directory, expected a file to write to")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: dir.path)
        let viaLink = #expect(throws: InventoryError.self) { try FileIO.write(Data("x".utf8), to: dir.file("link")) }
        #expect(viaLink?.message.hasPrefix("is a directory") == true)
    }

    @Test("a missing directory is named, and nothing is created")
    func missingDirectory() throws {
        let dir = try Scratch()
        let error = #expect(throws: InventoryError.self) {
            try FileIO.write(Data("x".utf8), to: dir.file("nope/out.json"))
        }
        #expect(error?.description == "\(dir.file("nope/out.json")): cannot write: no such directory \(dir.file("nope"))")
        #expect(error?.kind == .io)
        #expect(dir.entries().isEmpty)
    }

    @Test("read: a missing file and a directory are told apart, both exit 66 (missingFile)")
    func readErrors() throws {
        let dir = try Scratch()
        let missing = #expect(throws: InventoryError.self) { try FileIO.read(dir.file("no.json"), expected: "a JSON file") }
        #expect(missing?.description == "\(dir.file("no.json")): no such file (expected a JSON file)")
        #expect(missing?.kind == .missingFile)
        let directory = #expect(throws: InventoryError.self) { try FileIO.read(dir.path, expected: "a JSON file") }
        #expect(directory?.description == "\(dir.path): is a directory, expected a JSON file")
        #expect(directory?.kind == .missingFile)
        try "{}".write(toFile: dir.file("ok.json"), atomically: false, encoding: .utf8)
        #expect(try FileIO.read(dir.file("ok.json"), expected: "a JSON file") == Data("{}".utf8))
    }

    @Test("an inventory directory holding a directory named *.toml is an error naming it, not error 256")
    func inventorySubdirectory() throws {
        let dir = try Scratch()
        try FileManager.default.createDirectory(atPath: dir.file("x.toml"), withIntermediateDirectories: false)
        try "[policy]\n".write(toFile: dir.file("a.toml"), atomically: false, encoding: .utf8)
        let errors = #expect(throws: InventoryErrors.self) { try InventoryLoader().load(paths: [dir.path]) }
        #expect(errors?.kind == .missingFile)
        #expect(errors?.description == "\(dir.file("x.toml")): is a directory, expected a TOML or JSON inventory file")
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
