/** Waiting for a model that is still loading: bounded by the queue timeout, given up when the client leaves. */
import { UpstreamError } from "../../errors.js";

export function untilLoaded(loaded: Promise<void>, timeoutMs: number, signal: AbortSignal, what: string): Promise<void> {
  if (signal.aborted) return Promise.reject(new UpstreamError("request aborted by the client", "aborted"));
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    // 503-like: the client may retry; a full queue is a 429, a model still loading after the wait is not ready.
    const timer = setTimeout(() => done(new UpstreamError(`the ${what} is still loading after ${timeoutMs} ms`, "http", 503, 5000)), timeoutMs);
    const onAbort = () => done(new UpstreamError("request aborted by the client", "aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    void loaded.then(() => done());
  });
}
