import MoteClient
import MoteCore
import Testing

/// Sensor features and failure labels of 2000 machines, pushed over the socket: the data the
/// training and inference tests learn from.
enum MachineData {
    /// 2000 machines; failure follows temperature and vibration (and the mode a little).
    static func push(_ daemon: DaemonProcess) throws {
        var keys: [String] = []
        var temps: [String] = []
        var vibrations: [String] = []
        var modes: [String] = []
        var labels: [String] = []
        var times: [String] = []
        var state: UInt64 = 11
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for i in 0..<2000 {
            let t = 40 + next() * 60
            let v = next()
            let mode = ["idle", "run", "boost"][i % 3]
            keys.append("\"m\(i)\"")
            temps.append(String(t))
            vibrations.append(String(v))
            modes.append("\"\(mode)\"")
            labels.append((t > 75 && v > 0.3) || (mode == "boost" && t > 70) ? "true" : "false")
            times.append(String(1_750_000_000 + i))
        }
        let client = daemon.client()
        let sensors = #"{"feature_view":"sensors","df":{"machine_id":[\#(keys.joined(separator: ","))],"event_timestamp":[\#(times.joined(separator: ","))],"temp":[\#(temps.joined(separator: ","))],"vibration":[\#(vibrations.joined(separator: ","))],"mode":[\#(modes.joined(separator: ","))]}}"#
        #expect(try client.post("/v1/push", json: Array(sensors.utf8)).status == 200)
        let labelTimes = times.map { String(Int($0)! + 1) }
        let labelBody = #"{"feature_view":"labels","df":{"machine_id":[\#(keys.joined(separator: ","))],"event_timestamp":[\#(labelTimes.joined(separator: ","))],"failed":[\#(labels.joined(separator: ","))]}}"#
        #expect(try client.post("/v1/push", json: Array(labelBody.utf8)).status == 200)
    }

}
