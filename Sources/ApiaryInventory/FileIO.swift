import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading input files and writing output files for the command line, with errors that say
/// what is wrong in words (`plan.json: is a directory, expected a JSON file`) rather than as
/// Foundation error codes.
///
/// Errors are ``InventoryError``s with an empty key: `.missingFile` when the path names no file
/// (nothing there, or a directory where a file is expected; exit 66), `.io` when the file could
/// not be read or written (exit 74).
public enum FileIO {
    /// Reads the whole file at `path`.
    ///
    /// - Parameter expected: what the file should be, for messages ("a JSON file").
    public static func read(_ path: String, expected: String) throws(InventoryError) -> Data {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw InventoryError(file: path, key: "", message: "no such file (expected \(expected))", kind: .missingFile)
            }
            throw InventoryError(file: path, key: "", message: "cannot read: \(describe(errno: code))", kind: .io)
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw InventoryError(file: path, key: "", message: "is a directory, expected \(expected)", kind: .missingFile)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InventoryError(file: path, key: "", message: "cannot read: \(describe(errno: errno))", kind: .io)
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                data.append(contentsOf: buffer[0..<n])
            } else if n == 0 {
                return data
            } else if errno != EINTR {
                throw InventoryError(file: path, key: "", message: "cannot read: \(describe(errno: errno))", kind: .io)
            }
        }
    }

    /// Writes `data` to `path` so that a failure never leaves a half-written file:
    ///
    /// - a new path, or an existing regular file, is written to a temporary file in the same
    ///   directory, which is then renamed over it (an existing file keeps its permissions, and
    ///   its owner where the process may set it);
    /// - a symbolic link is followed (through any chain, even to a target that does not exist
    ///   yet) and its target written that way: the link stays a link;
    /// - a device, FIFO or other special file is written directly (`-o /dev/stdout` works, and
    ///   `/dev/null` stays a device);
    /// - a directory is an error.
    public static func write(_ data: Data, to path: String) throws(InventoryError) {
        var st = stat()
        // stat follows links, including /proc's (`/dev/stdout` → `/proc/self/fd/1` → a pipe).
        guard stat(path, &st) == 0 else {
            let code = errno
            guard code == ENOENT else { throw writeError(path, path, describe(errno: code)) }
            // Nothing there, or a link to a file that does not exist yet: create that file.
            try writeAtomically(data, to: try danglingTarget(of: path), shownAs: path, existing: nil)
            return
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            throw InventoryError(file: path, key: "", message: "is a directory, expected a file to write to", kind: .io)
        case S_IFREG:
            var link = stat()
            let isLink = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
            try writeAtomically(data, to: isLink ? try resolved(path) : path, shownAs: path, existing: st)
        case S_IFSOCK:
            throw writeError(path, path, "is a socket")
        default:
            // A character or block device, or a FIFO: there is nothing to replace.
            try writeDirectly(data, to: path)
        }
    }

    // MARK: - Helpers

    /// "permission denied" for EACCES: strerror, lowercased first letter.
    static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }

    private static func writeError(_ path: String, _ target: String, _ reason: String) -> InventoryError {
        let via = target == path ? "" : " (via the link to \(target))"
        return InventoryError(file: path, key: "", message: "cannot write\(via): \(reason)", kind: .io)
    }

    /// The real path of an existing file reached through links.
    private static func resolved(_ path: String) throws(InventoryError) -> String {
        guard let real = realpath(path, nil) else { throw writeError(path, path, describe(errno: errno)) }
        defer { free(real) }
        return String(cString: real)
    }

    /// `path` itself when nothing is there, else the missing file its chain of links names
    /// (relative link targets are taken from the link's directory).
    private static func danglingTarget(of path: String) throws(InventoryError) -> String {
        var target = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(target, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return target }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(target, &buffer, buffer.count - 1)
            guard n >= 0 else { throw writeError(path, target, describe(errno: errno)) }
            let destination = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if destination.hasPrefix("/") {
                target = destination
            } else if let slash = target.lastIndex(of: "/") {
                target = String(target[...slash]) + destination
            } else {
                target = destination
            }
        }
        throw writeError(path, target, "too many levels of symbolic links")
    }

    /// Writes all of `data` to `fd`, retrying short writes and interrupts.
    private static func writeAll(_ data: Data, to fd: Int32) -> Int32? {
        var failure: Int32?
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = posixWrite(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                p += n
                left -= n
            }
        }
        return failure
    }

    private static func writeDirectly(_ data: Data, to path: String) throws(InventoryError) {
        let fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw writeError(path, path, describe(errno: errno)) }
        if let code = writeAll(data, to: fd) {
            close(fd)
            throw writeError(path, path, describe(errno: code))
        }
        guard close(fd) == 0 || errno == EINTR else { throw writeError(path, path, describe(errno: errno)) }
    }

    private static func writeAtomically(
        _ data: Data, to target: String, shownAs path: String, existing: stat?
    ) throws(InventoryError) {
        let directory: String
        let name: String
        if let slash = target.lastIndex(of: "/") {
            directory = slash == target.startIndex ? "/" : String(target[..<slash])
            name = String(target[target.index(after: slash)...])
        } else {
            directory = "."
            name = target
        }
        // O_EXCL with a random name: the mode comes from the umask, as for any new file.
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<100 {
            let suffix = String(UInt64.random(in: 0..<(1 << 40)), radix: 36)
            temporary = (directory == "/" ? "" : directory) + "/.\(name).\(suffix).tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            let code = errno
            var st = stat()
            if code == ENOENT || code == ENOTDIR, stat(directory, &st) != 0 || st.st_mode & S_IFMT != S_IFDIR {
                throw writeError(path, target, "no such directory \(directory)")
            }
            throw writeError(path, target, describe(errno: code))
        }
        func fail(_ code: Int32) -> InventoryError {
            close(fd)
            unlink(temporary)
            return writeError(path, target, describe(errno: code))
        }
        if let existing {
            // Keep the replaced file's permissions and, where allowed, its owner.
            _ = fchown(fd, existing.st_uid, existing.st_gid)
            if fchmod(fd, existing.st_mode & 0o7777) != 0 { throw fail(errno) }
        }
        if let code = writeAll(data, to: fd) { throw fail(code) }
        if fsync(fd) != 0, errno != EINVAL { throw fail(errno) }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temporary)
            throw writeError(path, target, describe(errno: code))
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw writeError(path, target, describe(errno: code))
        }
    }
}

// The C `read` and `write`, which FileIO's own `read` and `write` shadow inside the enum.
@inline(__always)
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
