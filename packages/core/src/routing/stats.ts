/**
 * What the router has measured of one provider on this replica: requests in flight, and exponentially decayed
 * averages of time to first token and of output speed. Kept per replica on purpose: a provider's latency from one
 * replica is a fair sample of it from any other on the same network, and in-flight counts only matter where the
 * load is (a balancer spreads it evenly); sharing them through Redis would put a round trip on every request.
 */

/** Each new sample counts for this share of the average: about the last six requests decide the figure. */
const ALPHA = 0.3;

/** An exponentially weighted moving average; null until the first sample. */
export class DecayedAverage {
  value: number | null = null;
  samples = 0;
  add(sample: number): void {
    this.samples++;
    this.value = this.value === null ? sample : this.value + ALPHA * (sample - this.value);
  }
}

export interface StatsSnapshot {
  in_flight: number;
  /** Milliseconds to the first token (a JSON answer's whole latency), decayed; null until measured. */
  ttft_ms: number | null;
  /** Output tokens a second after the first token, decayed; null until measured. */
  tokens_per_second: number | null;
  samples: number;
}

export class RouterStats {
  inFlight = 0;
  readonly ttft = new DecayedAverage();
  readonly throughput = new DecayedAverage();

  /** A call served: how long it took to its first token. */
  served(ttftMs: number): void {
    this.ttft.add(ttftMs);
  }

  /**
   * A call failed after `elapsedMs`: counted as at least twice the provider's usual time, so a provider that fails
   * fast never looks fast, and one that recovers wins its place back sample by sample.
   */
  failed(elapsedMs: number): void {
    this.ttft.add(Math.max(elapsedMs, 2 * (this.ttft.value ?? elapsedMs), 1));
  }

  /** A finished answer's speed: output tokens over the time after its first token. */
  finished(outputTokens: number, generatingMs: number): void {
    if (outputTokens > 0 && generatingMs > 0) this.throughput.add((outputTokens * 1000) / generatingMs);
  }

  snapshot(): StatsSnapshot {
    const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return { in_flight: this.inFlight, ttft_ms: round(this.ttft.value), tokens_per_second: round(this.throughput.value), samples: this.ttft.samples };
  }
}
