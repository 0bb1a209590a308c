import MoteCore
import MoteMonitoring
import MoteServer
import MoteStorage
import MoteSync
import MoteDaemon
import MoteFleet
import Testing

@Suite("config loading")
struct ConfigLoadTests {
    @Test("an empty file gives the defaults")
    func defaults() throws {
        #expect(try MoteConfig.load("") == MoteConfig())
    }

    @Test("keys are read into the config")
    func reads() throws {
        let config = try MoteConfig.load(
            """
            [daemon]
            state_dir = "/srv/mote"
            log_level = "debug"
            [socket]
            mode = "0600"
            [limits]
            max_body_bytes = 4096
            request_timeout = "5s"
            [access]
            default_role = "read"
            admin = { uids = [1000], groups = ["wheel"] }
            [storage]
            synchronous = "full"
            """)
        #expect(config.daemon.stateDir == "/srv/mote")
        #expect(config.daemon.logLevel == .debug)
        #expect(config.socket.mode == 0o600)
        #expect(config.limits.maxBodyBytes == 4096)
        #expect(config.limits.requestTimeoutNanos == 5_000_000_000)
        #expect(config.access.defaultRole == .read)
        #expect(config.access.admin == .init(uids: [1000], groups: ["wheel"]))
        #expect(config.storage.synchronous == .full)
    }

    @Test("[fleet] reads its keys and takes the server from [sync]")
    func fleet() throws {
        let config = try MoteConfig.load(
            "[sync]\nurl = \"http://mlflow:5000\"\n[fleet]\nenabled = true\nalias = \"fleet-canary\"\nmodels = [\"failure\"]\ntrust_central = true\ninterval = \"30s\"\n")
        #expect(config.fleet.enabled && config.fleet.alias == "fleet-canary" && config.fleet.models == ["failure"] && config.fleet.trustCentral)
        #expect(config.fleet.intervalNanos == 30_000_000_000)
    }

    @Test("mistakes name the key and line", arguments: [
        ("[limits]\nmax_body_bytes = \"x\"\n", "limits.max_body_bytes", 2),
        ("\n[daemon]\nlog_levle = \"info\"\n", "daemon.log_levle", 3),
        ("[storage]\nsynchronous = \"off\"\n", "storage.synchronous", 2),
        ("[socket]\nmode = \"999\"\n", "socket.mode", 2),
        ("[limits]\nidle_timeout = \"0s\"\n", "limits.idle_timeout", 2),
        ("[access]\nread = { uids = [-1] }\n", "access.read.uids", 2),
        ("[sockets]\n", "sockets", 1),
        ("[limits]\nmax_connections = 0\n", "limits.max_connections", 2),
        ("[fleet]\nenabled = true\n", "fleet.enabled", 2),
        ("[fleet]\nalias = \"fleet canary\"\n", "fleet.alias", 2),
        ("[fleet]\nmax_model_mib = 0\n", "fleet.max_model_mib", 2),
    ])
    func mistakes(text: String, key: String, line: Int) {
        do {
            _ = try MoteConfig.load(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.key == key)
            #expect(error.line == line)
        }
    }

    @Test("the shipped moted.toml is valid and equals the built-in defaults")
    func shippedFile() throws {
        let path = String(#filePath.split(separator: "/Tests/")[0]) + "/etc/mote/moted.toml"
        let text = try FileSystem.readText(path)
        #expect(try MoteConfig.load(text) == MoteConfig())
    }
}
