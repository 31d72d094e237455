/**
 * `timeouts.total_ms`: how long a request may take in all, failover and streaming included. A Deadline's signal
 * aborts when the request's does (the client left) or, with a TimeoutError, when its time is up.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout;
  private readonly unlink: (() => void) | null = null;

  /**
   * With `abort` (the transport's way to end the request's own signal), the deadline ends that signal: one timer
   * per request and nothing else. A second AbortController, linked to the first, cost about 5 µs of CPU each here,
   * a quarter of the gateway's own work per request (bench/handler.mjs); it is made only without `abort`
   * (the Web handler) and for a provider's own deadline.
   */
  constructor(
    parent: AbortSignal,
    readonly ms: number,
    what = "request",
    abort?: (reason: unknown) => void,
  ) {
    if (abort) this.signal = parent;
    else {
      const controller = new AbortController();
      const follow = () => controller.abort(parent.reason);
      this.signal = controller.signal;
      abort = (reason) => controller.abort(reason);
      if (parent.aborted) follow();
      else {
        parent.addEventListener("abort", follow, { once: true });
        this.unlink = () => parent.removeEventListener("abort", follow);
      }
    }
    const end = abort;
    this.timer = setTimeout(() => end(new DOMException(`${what} deadline of ${ms} ms passed`, "TimeoutError")), ms);
    this.timer.unref();
  }

  /** Whether this deadline ended the request. */
  get expired(): boolean {
    return deadlineMessage(this.signal) !== null;
  }

  /** Whether the client left (the request ended, and not by its deadline). */
  get clientLeft(): boolean {
    return this.signal.aborted && !this.expired;
  }

  /** Call once the response is over: stops the timer and lets go of the parent signal. */
  clear(): void {
    clearTimeout(this.timer);
    this.unlink?.();
  }
}

/** The reason an aborted signal carries, as a message, when it is a deadline's. */
export function deadlineMessage(signal: AbortSignal): string | null {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  return signal.aborted && reason?.name === "TimeoutError" ? (reason.message ?? "deadline passed") : null;
}
