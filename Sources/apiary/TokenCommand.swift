import ApiaryStore
import ArgumentParser

/// `apiary token issue|list|revoke`: bearer tokens of the orders API.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, list and revoke API tokens (only their SHA-256 is stored).",
        subcommands: [Issue.self, List.self, Revoke.self]
    )

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new token once: a host token opens only that host's routes; an admin token opens all.")

        @Option(help: "The host this token is for (repeat for several: prints HOST<TAB>TOKEN lines).")
        var host: [String] = []

        @Flag(help: "Issue an admin token.")
        var admin = false

        @Option(help: "The order store (created when missing).")
        var db = "apiary.db"

        func validate() throws {
            guard host.isEmpty == admin else { throw ValidationError("give either --host NAME or --admin") }
            for name in host where name.isEmpty || name.contains("/") {
                throw ValidationError("--host: expected a host name, got \"\(name)\"")
            }
        }

        func run() throws {
            let store = try StoreCLI.open(db, create: true)
            do {
                if admin || host.count == 1 {
                    let issued = try store.issueToken(role: admin ? .admin : .host(host[0]))
                    print(issued.token)
                    StoreCLI.status("token \(issued.id) for \(admin ? "admin" : "host \(host[0])") (shown once; only its hash is stored)")
                } else {
                    for name in host {
                        print("\(name)\t\(try store.issueToken(role: .host(name)).token)")
                    }
                    StoreCLI.status("\(host.count) host tokens (shown once; only their hashes are stored)")
                }
            } catch {
                throw StoreCLI.fail(error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids and roles, never secrets).")

        @Option(help: "The order store.")
        var db = "apiary.db"

        func run() throws {
            let store = try StoreCLI.open(db, create: false)
            do {
                for token in try store.tokens() {
                    let role: String
                    switch token.role {
                    case .admin: role = "admin"
                    case .host(let name): role = "host \(name)"
                    }
                    print("\(token.id)  \(token.createdAt)  \(role)\(token.revoked ? "  (revoked)" : "")")
                }
            } catch {
                throw StoreCLI.fail(error)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id (a running server notices within seconds).")

        @Argument(help: "Token id, as `apiary token list` shows it.")
        var id: String

        @Option(help: "The order store.")
        var db = "apiary.db"

        func run() throws {
            let store = try StoreCLI.open(db, create: false)
            do { try store.revokeToken(id: id) } catch { throw StoreCLI.fail(error) }
        }
    }
}
