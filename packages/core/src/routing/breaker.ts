/**
 * A circuit breaker per provider: after `failure_threshold` failures in a row it opens (the provider is skipped),
 * and after `cooldown_ms` it lets a single probe through; the probe's outcome closes or re-opens it.
 */
export interface BreakerSettings {
  failure_threshold: number;
  cooldown_ms: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failure_threshold: 5, cooldown_ms: 30_000 };

export type BreakerState = "closed" | "open" | "half_open";

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private opened = false;

  /** Told when this breaker opens or closes on its own (not on `adopt`): how replicas share the state. */
  onTransition?: (open: boolean, retryInMs: number) => void;

  constructor(
    public settings: BreakerSettings = DEFAULT_BREAKER,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (!this.opened) return "closed";
    return this.now() - this.openedAt >= this.settings.cooldown_ms ? "half_open" : "open";
  }

  /** Whether a call may go through now (without taking the probe). */
  canPass(): boolean {
    const s = this.state;
    return s === "closed" || (s === "half_open" && !this.probing);
  }

  /** Milliseconds until an open breaker lets a probe through. */
  retryInMs(): number {
    return this.opened ? Math.max(0, this.settings.cooldown_ms - (this.now() - this.openedAt)) : 0;
  }

  /** Call before each request; false means skip the provider. */
  begin(): boolean {
    if (!this.canPass()) return false;
    if (this.state === "half_open") this.probing = true;
    return true;
  }

  success(): void {
    const wasOpen = this.opened;
    this.failures = 0;
    this.opened = false;
    this.probing = false;
    if (wasOpen) this.onTransition?.(false, 0);
  }

  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.settings.failure_threshold) {
      const wasOpen = this.state === "open";
      this.opened = true;
      this.openedAt = this.now();
      if (!wasOpen) this.onTransition?.(true, this.settings.cooldown_ms);
    }
    this.probing = false;
  }

  /** Takes the state another replica decided: open for `retryInMs` more, or closed. */
  adopt(open: boolean, retryInMs: number): void {
    this.probing = false;
    if (open) {
      this.opened = true;
      this.openedAt = this.now() - Math.max(0, this.settings.cooldown_ms - retryInMs);
    } else {
      this.opened = false;
      this.failures = 0;
    }
  }

  /** A call that ended without telling anything about the provider (the client left): frees the probe. */
  release(): void {
    this.probing = false;
  }
}
