/** What the gateway has seen of one provider lately: shown by /v1/providers/{id} and the dashboard. */
import { CircuitBreaker, type BreakerSettings, type BreakerState } from "./breaker.js";
import { RouterStats, type StatsSnapshot } from "./stats.js";

export interface HealthSnapshot {
  circuit: BreakerState;
  /** When the circuit is open: milliseconds until a probe may go through. */
  circuit_retry_in_ms?: number;
  status: "unknown" | "healthy" | "degraded" | "down";
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: string | null;
  last_success_at: string | null;
  /** What the router measured here (latency, in flight), as the strategies see it. */
  routing: StatsSnapshot;
}

export class ProviderHealth {
  readonly breaker: CircuitBreaker;
  readonly stats = new RouterStats();
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastSuccessAt: number | null = null;

  constructor(breaker?: BreakerSettings) {
    this.breaker = new CircuitBreaker(breaker);
  }

  recordSuccess(): void {
    this.breaker.success();
    this.consecutiveFailures = 0;
    this.lastSuccessAt = Date.now();
  }

  recordFailure(message: string): void {
    this.breaker.failure();
    this.consecutiveFailures++;
    this.lastError = message;
    this.lastErrorAt = Date.now();
  }

  snapshot(): HealthSnapshot {
    const status =
      this.lastSuccessAt === null && this.lastErrorAt === null
        ? "unknown"
        : this.consecutiveFailures === 0
          ? "healthy"
          : this.consecutiveFailures < 3
            ? "degraded"
            : "down";
    const circuit = this.breaker.state;
    return {
      circuit,
      ...(circuit === "open" ? { circuit_retry_in_ms: this.breaker.retryInMs() } : {}),
      status,
      consecutive_failures: this.consecutiveFailures,
      last_error: this.lastError,
      last_error_at: this.lastErrorAt ? new Date(this.lastErrorAt).toISOString() : null,
      last_success_at: this.lastSuccessAt ? new Date(this.lastSuccessAt).toISOString() : null,
      routing: this.stats.snapshot(),
    };
  }
}
