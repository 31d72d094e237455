/**
 * A fixed number of generation slots with a bounded wait queue: beyond it, callers get a 429-style error with a
 * retry hint. A waiter whose client leaves is dropped from the queue at once.
 */
import { UpstreamError } from "../../errors.js";

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Array<{ resolve: (slot: T) => void; reject: (err: Error) => void }> = [];

  constructor(
    slots: T[],
    private readonly queueSize: number,
    private readonly queueTimeoutMs: number,
  ) {
    this.free = [...slots];
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get available(): number {
    return this.free.length;
  }

  acquire(signal: AbortSignal): Promise<T> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    if (this.waiters.length >= this.queueSize) {
      return Promise.reject(new UpstreamError(`local model is busy: ${this.waiters.length} requests already queued`, "http", 429, 1000));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (s: T) => {
          cleanup();
          resolve(s);
        },
        reject: (e: Error) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(
        () => waiter.reject(new UpstreamError(`local model is busy: waited ${this.queueTimeoutMs} ms for a slot`, "http", 429, 1000)),
        this.queueTimeoutMs,
      );
      const onAbort = () => waiter.reject(new UpstreamError("request aborted by the client", "aborted"));
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: T): void {
    const next = this.waiters.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }
}
