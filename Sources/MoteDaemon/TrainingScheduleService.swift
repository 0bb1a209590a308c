import MoteCore
import MoteTraining
import ServiceLifecycle

/// Checks training specs' schedules (`every`, `min_new_labels`) every `training.schedule_interval`.
struct TrainingScheduleService: Service {
    let jobs: TrainingJobs
    let intervalNanos: @Sendable () -> Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(intervalNanos()))
                if Task.isCancelled { break }
                jobs.checkSchedules(now: SystemClock.nowNanos())
            }
        }
    }
}
