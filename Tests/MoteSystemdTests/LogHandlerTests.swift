import Logging
import MoteSystemd
import Testing

@Suite("log handlers")
struct LogHandlerTests {
    @Test("metadata keys become MOTE_* journal field names")
    func fieldNames() {
        #expect(JournaldLogHandler.fieldName("model") == "MOTE_MODEL")
        #expect(JournaldLogHandler.fieldName("state_dir") == "MOTE_STATE_DIR")
        #expect(JournaldLogHandler.fieldName("drift-score.v2") == "MOTE_DRIFT_SCORE_V2")
        #expect(JournaldLogHandler.fieldName(String(repeating: "x", count: 100)).count == 64)
    }

    @Test("the shared level control changes every handler's level")
    func levelControl() {
        let control = LogLevelControl(.info)
        let a = LogfmtLogHandler(label: "a", control: control)
        var b = JournaldLogHandler(label: "b", control: control)
        #expect(a.logLevel == .info)
        b.logLevel = .debug
        #expect(a.logLevel == .debug)
        #expect(control.level == .debug)
    }

    @Test("syslog priorities follow the levels")
    func priorities() {
        #expect(Logger.Level.warning.syslogPriority == 4)
        #expect(Logger.Level.notice.syslogPriority == 5)
        #expect(Logger.Level.critical.syslogPriority == 2)
    }
}
