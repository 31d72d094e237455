/**
 * Per-API-key rate limits: requests and tokens per minute, in fixed one-minute windows (the same arithmetic
 * in memory on one replica and in Redis across replicas, so both behave alike). A request is refused with 429
 * and Retry-After (seconds to the next window) when the key already used its requests or tokens in this window.
 * Tokens are reserved when a request starts (an estimate, see meter.ts) and settled on its real usage when it
 * ends, so concurrent requests cannot overshoot a TPM limit by more than one request's estimate.
 */
import { GatewayError } from "../errors.js";

export interface RateLimits {
  rpm: number | null;
  tpm: number | null;
}

export interface RateLimiter {
  /** Counts one request for `key`, or throws a 429 GatewayError when the key is over a limit. */
  check(key: string, limits: RateLimits): Promise<void>;
  /**
   * Adds `tokens` to the key's count in this window, in one step, unless the count already reached `tpm` (then a
   * 429). Returns the window, for the settlement.
   */
  reserveTokens(key: string, tokens: number, tpm: number): Promise<number>;
  /** Adds `tokens` (negative to give back part of a reservation) to the key's count in window `window`. */
  addTokens(key: string, tokens: number, window: number): void;
  close?(): Promise<void>;
}

export const WINDOW_MS = 60_000;

/** Window number and milliseconds left in it. */
export function windowAt(now: number): { window: number; leftMs: number } {
  const window = Math.floor(now / WINDOW_MS);
  return { window, leftMs: (window + 1) * WINDOW_MS - now };
}

export function rateLimitError(what: "requests" | "tokens", limit: number, leftMs: number): GatewayError {
  const retryAfter = Math.max(1, Math.ceil(leftMs / 1000));
  return new GatewayError(
    429,
    "rate_limit_error",
    "rate_limit_exceeded",
    `Rate limit reached for this API key: ${limit} ${what} per minute. Try again in ${retryAfter} s.`,
    { headers: { "retry-after": String(retryAfter) } },
  );
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { window: number; requests: number; tokens: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private counter(key: string, window = windowAt(this.now()).window) {
    let c = this.counters.get(key);
    if (!c || c.window !== window) {
      c = { window, requests: 0, tokens: 0 };
      this.counters.set(key, c);
      if (this.counters.size > 100_000) this.prune(window);
    }
    return c;
  }

  private prune(window: number): void {
    for (const [k, c] of this.counters) if (c.window !== window) this.counters.delete(k);
  }

  async check(key: string, limits: RateLimits): Promise<void> {
    const c = this.counter(key);
    const { leftMs } = windowAt(this.now());
    if (limits.tpm && c.tokens >= limits.tpm) throw rateLimitError("tokens", limits.tpm, leftMs);
    if (limits.rpm && c.requests >= limits.rpm) throw rateLimitError("requests", limits.rpm, leftMs);
    c.requests++;
  }

  async reserveTokens(key: string, tokens: number, tpm: number): Promise<number> {
    const { window, leftMs } = windowAt(this.now());
    const c = this.counter(key, window);
    if (c.tokens >= tpm) throw rateLimitError("tokens", tpm, leftMs);
    c.tokens += tokens;
    return window;
  }

  addTokens(key: string, tokens: number, window: number): void {
    // A settlement for a window already over changes nothing that is still counted.
    if (tokens === 0 || window !== windowAt(this.now()).window) return;
    this.counter(key, window).tokens += tokens;
  }
}
