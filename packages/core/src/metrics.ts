/**
 * Prometheus metrics, fed by the same per-request entries as the request log (so the two always agree), plus
 * per-provider gauges read at scrape time.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RequestLogEntry, RequestLogSink } from "./logging/types.js";
import type { ProviderRegistry } from "./routing/registry.js";

const CIRCUIT = { closed: 0, half_open: 1, open: 2 } as const;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "interference_requests_total",
    help: "Requests answered, by route, provider and HTTP status.",
    labelNames: ["route", "provider", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "interference_request_duration_seconds",
    help: "Total request latency as the client sees it (streams: until the last chunk).",
    labelNames: ["route", "provider"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: "interference_time_to_first_token_seconds",
    help: "Streams: time until the first content chunk.",
    labelNames: ["provider"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: "interference_tokens_total",
    help: "Tokens, by provider and kind (prompt, completion).",
    labelNames: ["provider", "kind"] as const,
    registers: [this.registry],
  });
  /** Spend in USD by provider, the model as the provider reported it, the API key and its team (ids). */
  private readonly spend = new Counter({
    name: "interference_spend_usd_total",
    help: "What requests cost, in USD, by provider, model, API key and team.",
    labelNames: ["provider", "model", "key", "team"] as const,
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: "interference_provider_failures_total",
    help: "Failed provider attempts (each retry and each failover counts).",
    labelNames: ["provider"] as const,
    registers: [this.registry],
  });
  private readonly failovers = new Counter({
    name: "interference_failovers_total",
    help: "Requests that moved on from a provider to the next.",
    labelNames: ["from"] as const,
    registers: [this.registry],
  });

  /** The response cache: requests by what it did (hit, semantic-hit, miss, skip), and what its hits saved. */
  private readonly cacheRequests = new Counter({
    name: "interference_cache_requests_total",
    help: "Requests the response cache answered (hit, semantic-hit), missed, or skipped on the client's say.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly cacheSaved = new Counter({
    name: "interference_cache_saved_usd_total",
    help: "What the response cache's hits saved: the cost of the answers they replayed, in USD.",
    registers: [this.registry],
  });

  /** Requests being answered now (streams until their last chunk): what an autoscaler scales on. */
  inFlight = 0;

  constructor(providers: ProviderRegistry, gauges: { logBacklog?: () => number } = {}) {
    // The process's own: CPU, memory, heap, event-loop delay (nodejs_eventloop_lag_*), GC, handles.
    collectDefaultMetrics({ register: this.registry });
    const inFlight = () => this.inFlight;
    new Gauge({
      name: "interference_requests_in_flight",
      help: "Requests being answered now, streams until their last chunk.",
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: "interference_local_queue_depth",
      help: "Requests waiting for an in-process model, per provider.",
      labelNames: ["provider"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of providers.list()) if (p.adapter.queueDepth) this.set({ provider: p.config.id }, p.adapter.queueDepth());
      },
    });
    if (gauges.logBacklog) {
      const backlog = gauges.logBacklog;
      new Gauge({
        name: "interference_log_backlog_rows",
        help: "Request-log rows waiting to be written to the database.",
        registers: [this.registry],
        collect() {
          this.set(backlog());
        },
      });
    }
    new Gauge({
      name: "interference_circuit_state",
      help: "Circuit breaker per provider: 0 closed, 1 half-open, 2 open.",
      labelNames: ["provider"] as const,
      registers: [this.registry],
      aggregator: "max", // across workers: the most open one (a sum of states would mean nothing)
      collect() {
        this.reset();
        for (const p of providers.list()) this.set({ provider: p.config.id }, CIRCUIT[p.health.breaker.state]);
      },
    });
    new Gauge({
      name: "interference_provider_enabled",
      help: "1 when the provider is enabled.",
      labelNames: ["provider"] as const,
      registers: [this.registry],
      aggregator: "max",
      collect() {
        this.reset();
        for (const p of providers.list()) this.set({ provider: p.config.id }, p.config.enabled ? 1 : 0);
      },
    });
  }

  observe(e: RequestLogEntry): void {
    const provider = e.provider ?? "none";
    const route = e.routePattern ?? e.route;
    this.requests.inc({ route, provider, status: String(e.status) });
    this.latency.observe({ route, provider }, e.latencyMs / 1000);
    if (e.ttftMs !== null && e.stream) this.ttft.observe({ provider }, e.ttftMs / 1000);
    if (e.promptTokens) this.tokens.inc({ provider, kind: "prompt" }, e.promptTokens);
    if (e.completionTokens) this.tokens.inc({ provider, kind: "completion" }, e.completionTokens);
    if (e.cost) this.spend.inc({ provider, model: e.servedModel ?? "unknown", key: e.apiKeyId ?? "none", team: e.teamId ?? "none" }, e.cost);
    if (e.cache) {
      this.cacheRequests.inc({ result: e.cache });
      if (e.cacheSaved) this.cacheSaved.inc(e.cacheSaved);
    }
    let last: string | null = null;
    for (const a of e.attempts) {
      if (a.outcome === "failed") this.failures.inc({ provider: a.provider });
      if (last && a.provider !== last) this.failovers.inc({ from: last });
      if (a.outcome !== "skipped") last = a.provider;
    }
  }

  /** A sink that feeds the metrics, then hands the entry on. */
  wrap(next: RequestLogSink | undefined): RequestLogSink {
    return {
      write: (e) => {
        this.observe(e);
        next?.write(e);
      },
      flush: () => next?.flush?.() ?? Promise.resolve(),
      durable: () => next?.durable?.(),
    };
  }
}

/**
 * WORKERS=N (node:cluster): each worker keeps its own registry, and a scrape reaches one worker. That worker asks
 * the primary, which gathers every worker's registry over the cluster channel (prom-client's own protocol) and sums
 * each series; so one scrape counts the requests of every worker.
 */
export function shareMetricsWithPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  aggregator ??= new AggregatorRegistry(); // constructing one is what makes a worker answer the primary's requests
}

let aggregator: AggregatorRegistry<typeof Registry.PROMETHEUS_CONTENT_TYPE> | null = null;

/** In the cluster's primary: the metrics of all its workers, aggregated. */
export async function clusterMetricsText(): Promise<string> {
  aggregator ??= new AggregatorRegistry();
  return aggregator.clusterMetrics();
}
