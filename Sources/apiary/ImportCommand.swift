import ApiaryInventory
import ArgumentParser
import Foundation

/// `apiary import …`: bring the current placement in from where it is recorded.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the current placement of a running fleet as [[placement]] TOML.",
        subcommands: [HabitatCensusImportCommand.self])
}

/// `apiary import habitat-census census.json [--services services.json ...] [--output FILE]`.
struct HabitatCensusImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "habitat-census",
        abstract: "Turn a Habitat supervisor's /census (and hosts' /services) JSON into [[placement]] TOML.",
        discussion: """
            Every census member that is alive and not departed counts as one instance of its \
            service group on the host named by its sys.hostname (sys.ip when there is none). \
            A host's /services, when given, is that supervisor's own word and replaces the \
            census for that host: groups loaded with desired_state Up count, others do not. \
            Disagreements are printed as warnings on stderr and as comments in the output. \
            Add the output next to the inventory's hosts and services, e.g. \
            `apiary plan inventory/ placement.toml`.

            Fetch the inputs with e.g. `curl http://SUPERVISOR:9631/census` and \
            `curl http://HOST:9631/services`.

            Exit status: 0 success; 64 bad usage; 65 malformed JSON (the message names the \
            file and the key path); 66 missing input file; 74 I/O error.
            """)

    @Argument(help: "A supervisor's /census JSON.")
    var census: String

    @Option(name: .long, help: "A host's /services JSON (repeatable).")
    var services: [String] = []

    @Flag(name: .long, help: "Name hosts by the hostname up to its first dot (hive-01.example.net → hive-01).")
    var shortHostnames = false

    @Option(name: .shortAndLong, help: "Write the TOML here instead of standard output.")
    var output: String?

    func run() throws {
        let importer = HabitatCensus(shortHostnames: shortHostnames)
        let censusInput = try read(census)
        var serviceInputs = [(data: Data, file: String)]()
        for path in services { serviceInputs.append(try read(path)) }
        let toml: String
        let result: HabitatCensus.Result
        do {
            (toml, result) = try importer.placementTOML(census: censusInput, services: serviceInputs)
        } catch {
            printError("error: \(error.description)")
            throw ExitStatus.dataError
        }
        for w in result.warnings { printError("warning: \(w)") }
        try emit(toml, to: output)
        if output != nil {
            let total = result.placements.reduce(0) { $0 + $1.count }
            printError("wrote \(result.placements.count) placements (\(total) instances) to \(output!)")
        }
    }

    private func read(_ path: String) throws -> (data: Data, file: String) {
        do {
            return (try FileIO.read(path, expected: "a JSON file"), path)
        } catch {
            throw fail(error)
        }
    }
}
