import Testing

@testable import ApiaryCore

/// Renaming hosts and sending instances home after a from-scratch packing of a running fleet.
@Suite("Host renaming and ReturnHome")
struct RehomeTests {
    /// Six interchangeable hosts; h2 and h4 run the most now (three each), h0 one, the rest
    /// nothing; six one-instance services of a tenth of a host each.
    static func fleet(exclusive: Bool = false) -> Problem {
        let hosts = (0..<6).map { MigFleet.host("h\($0)", cpu: 10, mem: 100) }
        var services = (0..<7).map { MigFleet.service("s\($0)", count: 1, cpu: 1, mem: 10) }
        if exclusive { services[6] = MigFleet.service("x", count: 1, cpu: 1, mem: 10, exclusive: true) }
        // s0..s2 on h2, s3..s5 on h4, the seventh on h0.
        return MigFleet.problem(hosts: hosts, services: services, current: [2, 2, 2, 4, 4, 4, 0])
    }

    @Test("crowded renaming puts the contents on the hosts of each class that run the most now")
    func crowdedUsesBusiestHosts() {
        let problem = Self.fleet()
        let index = ProblemIndex(problem)
        // A from-scratch packing on two hosts that mixes the two crowded hosts' instances.
        let packed = [0, 1, 0, 1, 0, 1, 0]
        let renamed = HostRelabel.relabel(problem, index: index, assignment: packed, crowded: true)
        #expect(Set(renamed) == [2, 4])
        // Same contents, only renamed.
        #expect(renamed[0] == renamed[2] && renamed[2] == renamed[4] && renamed[4] == renamed[6])
        #expect(renamed[1] == renamed[3] && renamed[3] == renamed[5] && renamed[1] != renamed[0])
        // ReturnHome then swaps instances between the two so that every one of them stays.
        let homed = ReturnHome.run(problem, index: index, assignment: renamed)
        #expect(problem.moves(to: homed) == 1)  // only the seventh instance leaves h0
        #expect(Verifier(problem: problem).verify(assignment: homed, offset: problem.instanceOffset).isEmpty)
    }

    @Test("an exclusive tenant goes where it sends the fewest running instances away")
    func exclusiveTakesQuietHost() {
        let problem = Self.fleet(exclusive: true)
        let index = ProblemIndex(problem)
        // The exclusive tenant alone on one host, everything else on another.
        let packed = [1, 1, 1, 1, 1, 1, 0]
        let renamed = HostRelabel.relabel(problem, index: index, assignment: packed, crowded: true)
        // Its own host h0 runs only it: it stays, and the other content takes a crowded host.
        #expect(renamed[6] == 0)
        #expect([2, 4].contains(renamed[0]))
    }

    @Test("frozen hosts keep their content while the rest is sent home")
    func frozenHostsKeepContent() {
        let problem = Self.fleet()
        let index = ProblemIndex(problem)
        let packed = [2, 4, 2, 4, 2, 4, 2]
        let free = ReturnHome.run(problem, index: index, assignment: packed)
        #expect(problem.moves(to: free) == 1)
        let frozen = ReturnHome.run(problem, index: index, assignment: packed, frozen: [4])
        for i in packed.indices where packed[i] == 4 || problem.current![i] == 4 { #expect(frozen[i] == packed[i]) }
        #expect(problem.moves(to: frozen) > problem.moves(to: free))
    }
}
