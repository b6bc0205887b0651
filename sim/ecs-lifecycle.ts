/**
 * The lifecycle of a simulated ECS task on timers: PROVISIONING → PENDING (image pull) →
 * RUNNING → (SIGTERM, stopTimeout) → STOPPED, with incomplete STOPPED states and log lines
 * spread over the run. Every state change bumps the task's `version` and emits an
 * "ECS Task State Change" event.
 */
import { ENI_TIMEOUT_REASON, SPOT_REASON, pullThrottleReason } from './faults.js'
import { randomHex, randomUuid } from './random.js'
import { taskStateEvent } from './events.js'
import type { EcsSimOptions, SimContainer, SimTask, TaskTimeline } from './ecs-model.js'
import { wireTask } from './ecs-task.js'

/** Moves tasks through their states and records their timelines. */
export class TaskLifecycle {
  constructor(
    private readonly o: EcsSimOptions,
    private readonly timelines: Map<string, TaskTimeline>,
    /** Gives a stopped task's CPU and memory back to its instance. */
    private readonly release: (task: SimTask) => void
  ) {}

  /** A new task's first event; PENDING after its provisioning time. */
  start(task: SimTask): void {
    this.changed(task)
    this.after(task.script.provisioningSeconds ?? this.o.timings.provisioningSeconds, () =>
      this.toPending(task)
    )
  }

  /** StopTask on a task still meant to run: SIGTERM if it runs, else STOPPED without exit codes. */
  stop(task: SimTask, reason: string): void {
    if (task.lastStatus === 'RUNNING') {
      this.beginStop(task, 'UserInitiated', reason)
      return
    }
    // Stopped before it ran: no container ever started, so none has an exit code.
    task.desiredStatus = 'STOPPED'
    task.stopCode = 'UserInitiated'
    task.stoppedReason = reason
    task.stoppingAt = this.o.clock.now()
    this.changed(task)
    this.after(this.o.timings.stopSeconds, () => this.finishStop(task))
  }

  /** Runs `fn` after `simSeconds` of simulated time, unless the simulator closed. */
  private after(simSeconds: number, fn: () => void): void {
    void this.o.clock.sleep(simSeconds * this.o.msPerSecond, this.o.signal).then(() => {
      if (!this.o.signal.aborted) fn()
    })
  }

  /** Records a state change: bumps `version` and emits the event. */
  changed(task: SimTask): void {
    task.version++
    const now = this.o.clock.now()
    this.o.emit(
      taskStateEvent({
        wireTask: wireTask(task, this.o.region),
        id: randomUuid(this.o.random),
        account: this.o.account,
        region: this.o.region,
        at: now
      })
    )
  }

  private toPending(task: SimTask): void {
    if (task.desiredStatus !== 'RUNNING') return
    if (task.fault === 'eni-timeout') {
      task.desiredStatus = 'STOPPED'
      task.stopCode = 'TaskFailedToStart'
      task.stoppedReason = ENI_TIMEOUT_REASON
      task.stoppingAt = this.o.clock.now()
      for (const c of task.containers) c.lastStatus = 'STOPPED'
      this.finishStop(task)
      return
    }
    task.lastStatus = 'PENDING'
    task.pullStartedAt = this.o.clock.now()
    this.changed(task)
    this.after(task.script.pendingSeconds ?? this.o.timings.pendingSeconds, () =>
      this.afterPull(task)
    )
  }

  private afterPull(task: SimTask): void {
    if (task.desiredStatus !== 'RUNNING') return
    const now = this.o.clock.now()
    task.pullStoppedAt = now
    const throttled = (c: SimContainer): boolean =>
      task.fault === 'pull-throttle' &&
      c === (task.containers.find((x) => x.name === 'app') ?? task.containers[0])
    const failing = task.containers.filter((c) => c.script.pullFailure || throttled(c))
    if (failing.length > 0) {
      const reasonOf = (c: SimContainer): string =>
        throttled(c)
          ? pullThrottleReason(c.image)
          : `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${c.image}: not found`
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED'
        if (failing.includes(c)) c.reason = reasonOf(c)
      }
      task.desiredStatus = 'STOPPED'
      task.stopCode = 'TaskFailedToStart'
      task.stoppedReason = reasonOf(failing[0] as SimContainer)
      task.stoppingAt = now
      this.finishStop(task)
      return
    }
    task.lastStatus = 'RUNNING'
    task.startedAt = now
    const timeline = this.timelines.get(task.taskArn)
    if (timeline) timeline.runningAt = now
    for (const c of task.containers) {
      c.lastStatus = 'RUNNING'
      c.runtimeId = `${task.id}-${randomHex(this.o.random, 10)}`
      if (c.log) this.o.logs.createStream(c.log.group, c.log.stream)
      this.scheduleLogLines(task, c)
      if (c.script.runSeconds !== undefined) {
        this.after(c.script.runSeconds, () => this.containerExited(task, c, c.script.exitCode))
      }
    }
    this.changed(task)
    if (task.fault === 'spot-interruption') {
      this.after(task.spotAfterSeconds ?? 1, () => {
        if (task.desiredStatus === 'RUNNING') this.beginStop(task, 'SpotInterruption', SPOT_REASON)
      })
    }
  }

  /** Prints a container's lines spread evenly over its run time (all at once if it runs on). */
  private scheduleLogLines(task: SimTask, c: SimContainer): void {
    const log = c.log
    if (!log) return
    const lines = c.script.logLines
    const run = c.script.runSeconds ?? 0
    lines.forEach((line, i) => {
      const print = (): void => {
        if (c.lastStatus === 'RUNNING')
          this.o.logs.append(log.group, log.stream, line, this.o.clock.now())
      }
      const at = lines.length > 0 ? (run * i) / lines.length : 0
      if (at === 0) print()
      else this.after(at, print)
    })
    void task
  }

  private containerExited(task: SimTask, c: SimContainer, exitCode: number | undefined): void {
    if (c.lastStatus !== 'RUNNING') return
    c.lastStatus = 'STOPPED'
    // The awslogs driver sends the lines it still holds when the container exits.
    if (c.log) this.o.logs.flush(c.log.group, c.log.stream, this.o.clock.now())
    c.exitCode = exitCode
    // The task's execution stopped when its last container did; the teardown to STOPPED follows.
    if (task.containers.every((x) => x.lastStatus === 'STOPPED')) {
      task.executionStoppedAt = this.o.clock.now()
    }
    if (c.essential && task.desiredStatus === 'RUNNING') {
      this.beginStop(task, 'EssentialContainerExited', 'Essential container in task exited')
      return
    }
    if (task.desiredStatus === 'RUNNING') this.changed(task)
    else if (task.containers.every((x) => x.lastStatus === 'STOPPED')) this.finishStop(task)
  }

  /** desiredStatus STOPPED: SIGTERM to what still runs, STOPPED once everything has exited. */
  beginStop(task: SimTask, stopCode: string, reason: string): void {
    task.desiredStatus = 'STOPPED'
    task.stopCode = stopCode
    task.stoppedReason = reason
    task.stoppingAt = this.o.clock.now()
    if (task.script.incompleteStop) task.hideExitCodes = true
    const running = task.containers.filter((c) => c.lastStatus === 'RUNNING')
    this.changed(task)
    if (running.length === 0) {
      this.after(this.o.timings.stopSeconds, () => this.finishStop(task))
      return
    }
    for (const c of running) {
      if (c.script.ignoreSigterm) {
        this.after(this.o.timings.stopTimeoutSeconds, () => this.containerExited(task, c, 137))
      } else {
        this.after(this.o.timings.stopSeconds, () =>
          this.containerExited(task, c, c.script.sigtermExitCode)
        )
      }
    }
  }

  private finishStop(task: SimTask): void {
    if (task.lastStatus === 'STOPPED') return
    const now = this.o.clock.now()
    task.lastStatus = 'STOPPED'
    task.stoppedAt = now
    // A task none of whose containers ran stops its execution with the task.
    task.executionStoppedAt ??= now
    for (const c of task.containers) c.lastStatus = 'STOPPED'
    this.release(task)
    this.changed(task)
    const complete = (): void => {
      task.hideExitCodes = false
      const timeline = this.timelines.get(task.taskArn)
      if (timeline) {
        timeline.stoppedAt = task.stoppedAt
        const app = task.containers.find((c) => c.name === 'app') ?? task.containers[0]
        if (app?.exitCode !== undefined) timeline.exitCode = app.exitCode
      }
    }
    if (task.hideExitCodes) {
      this.after(this.o.timings.incompleteStopSeconds, () => {
        complete()
        this.changed(task)
      })
    } else {
      complete()
    }
  }
}
