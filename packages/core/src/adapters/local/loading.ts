/** Waiting for a model that is still loading: bounded by the queue timeout, given up when the client leaves. */
import { basename } from "node:path";
import type { SlotPool } from "./slots.js";
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

/** A model loading in the background: its failure kept, and told to clients without the loader's own words. */
export class ModelLoad {
  error: Error | null = null;
  readonly done: Promise<void>;

  constructor(
    providerId: string,
    /** "embedding model", "speech model". */
    private readonly label: string,
    private readonly file: string,
    load: () => Promise<void>,
  ) {
    this.done = load().catch((err: Error) => {
      this.error = err;
      console.error(`[interference] provider ${providerId}: ${label}: ${err.message}`);
    });
  }

  /** Why it is not serving, in words safe for API clients (the loader's message can quote the file's bytes). */
  get publicError(): string | null {
    if (!this.error) return null;
    return (this.error as { code?: string }).code === "ENOENT"
      ? `${this.label} ${basename(this.file)} not found (run scripts/fetch-model.py, part of scripts/setup.sh)`
      : `the ${this.label} failed to load (the server log says why)`;
  }
}

/**
 * An in-process model served from a pool of slots once its load is done: readiness, loading and the queue's depth
 * read the same way for every such model (the embedding model, the speech model's worker).
 */
export abstract class PooledModel<Slot> {
  protected slots?: SlotPool<Slot>;
  protected abstract readonly load: ModelLoad;

  get ready(): boolean {
    return this.slots !== undefined;
  }

  get loading(): boolean {
    return !this.slots && !this.load.error;
  }

  get publicError(): string | null {
    return this.load.publicError;
  }

  /** Requests waiting for a free slot (the queue's depth, for /metrics). */
  get queued(): number {
    return this.slots?.waiting ?? 0;
  }
}
