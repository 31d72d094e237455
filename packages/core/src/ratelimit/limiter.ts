/**
 * Per-API-key rate limits: requests and tokens per minute, in fixed one-minute windows (the same arithmetic
 * in memory on one replica and in Redis across replicas, so both behave alike). A request is refused with 429
 * and Retry-After (seconds to the next window) when the key already used its requests or tokens in this window.
 * Tokens are counted when a request finishes, so one long request may overshoot a TPM limit once; the next waits.
 */
import { GatewayError } from "../errors.js";

export interface RateLimits {
  rpm: number | null;
  tpm: number | null;
}

export interface RateLimiter {
  /** Counts one request for `key`, or throws a 429 GatewayError when the key is over a limit. */
  check(key: string, limits: RateLimits): Promise<void>;
  /** Adds the tokens a finished request used. */
  recordTokens(key: string, tokens: number): void;
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

  private counter(key: string) {
    const { window } = windowAt(this.now());
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

  recordTokens(key: string, tokens: number): void {
    if (tokens > 0) this.counter(key).tokens += tokens;
  }
}
