import Logging
import MoteCore
import MoteInference
import MoteML
import MoteRegistry

extension Rollouts {
    /// What the policy says of the evidence: promote, roll back, or nil (keep watching).
    static func verdict(_ c: RolloutComparison) -> (kind: RolloutDecision.Kind, reason: String)? {
        let p = c.rollout.policy
        let labels = min(c.challengerLabels, c.championLabels)
        let m = p.metric.rawValue
        guard labels >= p.minLabels, let mine = c.challenger[m], let theirs = c.champion[m], mine.isFinite, theirs.isFinite else { return nil }
        let gain = p.metric.smallerIsBetter ? theirs - mine : mine - theirs
        func fmt(_ v: Double) -> String { String((v * 10000).rounded() / 10000) }
        let evidence = "live \(m) \(fmt(mine)) against the champion's \(fmt(theirs)) on \(labels) labelled predictions"
        if gain > p.margin { return (.promoted, "\(evidence): better by \(fmt(gain)) (margin \(p.margin))") }
        if gain < -p.margin { return (.rolledBack, "\(evidence): worse by \(fmt(-gain)) (margin \(p.margin))") }
        if labels >= p.maxLabels { return (.rolledBack, "\(evidence): not better by the margin \(p.margin) after \(p.maxLabels) labels") }
        return nil
    }

    /// Compares every active rollout and acts on the automatic ones' verdicts; returns the
    /// decisions made.
    @discardableResult
    public func checkAll() -> [RolloutDecision.Kind] {
        var made: [RolloutDecision.Kind] = []
        let rollouts: [Rollout]
        do { rollouts = try store.active() } catch {
            logger.warning("rollouts could not be read: \(error)", metadata: ["event": "rollout_failed"])
            return []
        }
        for r in rollouts where r.policy.automatic {
            do {
                let c = try compare(r)
                guard let (kind, reason) = Self.verdict(c) else { continue }
                try decide(r, kind, reason: reason, evidence: c.evidence)
                made.append(kind)
            } catch {
                logger.warning(
                    "rollout of \(r.model) version \(r.version) could not be judged: \(error)",
                    metadata: ["event": "rollout_failed", "model": "\(r.model)", "version": "\(r.version)"])
            }
        }
        return made
    }

    /// Acts on a verdict: a promoted challenger becomes champion (the champion swaps in
    /// without a failed request), a rolled-back one stops serving; both end the rollout.
    func decide(_ r: Rollout, _ kind: RolloutDecision.Kind, reason: String, evidence: [String: Double]) throws {
        try withChanges {
            // Still the same rollout (not stopped or replaced meanwhile)?
            guard try active(model: r.model) == r else { return }
            try end(r, kind, reason: reason, metrics: evidence, actor: .daemon)
            if kind == .promoted { _ = try server.setAlias(model: r.model, alias: "champion", version: r.version, actor: .daemon) }
        }
    }
}
