import MoteCore
import MoteServer

extension ServicePasses {
    /// Asks for a pass now and, when the request says `?wait=true`, waits (holding no thread)
    /// until a pass that started after the call has ended, answering a little before the
    /// request's own timeout would: nil without `wait`, else whether the pass ended in time.
    func trigger(for request: Request) async throws -> Bool? {
        let wait = try request.flag("wait")
        let target = trigger()
        guard wait else { return nil }
        let margin: UInt64 = 250_000_000
        let deadline = request.deadline > SystemClock.monotonicNanos() + 2 * margin ? request.deadline - margin : request.deadline
        return await self.wait(for: target, deadline: deadline)
    }
}
