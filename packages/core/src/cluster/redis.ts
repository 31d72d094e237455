/**
 * What replicas share through Redis (REDIS_URL): rate-limit counters, and change events on one pub/sub channel
 * (provider toggles and edits, API key changes, circuit breaker transitions) so a change made on one replica
 * applies on every other within milliseconds. Without Redis each replica keeps its own in memory.
 *
 * Redis going away is an outage to ride out, never a reason to fail requests: rate limits fall back to counting
 * on each replica alone (so a key may get up to its limit on each replica until Redis is back), events published
 * meanwhile are lost, and so every replica reloads provider and key state from the database when its
 * subscription comes back (`onReconnect`). A gateway started while Redis is down starts, and keeps retrying.
 */
import { randomUUID } from "node:crypto";
import { GatewayError } from "../errors.js";
import { Redis } from "ioredis";
import { MemoryRateLimiter, rateLimitError, windowAt, WINDOW_MS, type RateLimiter, type RateLimits } from "../ratelimit/limiter.js";
import {
  budgetExceeded,
  counterId,
  fromNano,
  MemoryBudgetLedger,
  periodOf,
  readSpend,
  toNano,
  type Budget,
  type BudgetLedger,
  type Reservation,
  type SpendSource,
} from "../spend/budget.js";

export type ClusterEvent =
  | { type: "provider"; id: string }
  /** The providers' order changed: read it from the database. */
  | { type: "order" }
  /** The routing strategies or the fallback changed (each replica reloads them from the database). */
  | { type: "routing" }
  /** The response cache's per-model switches changed (each replica reloads them from the database). */
  | { type: "cache" }
  /** API keys changed; `revoked` names a key just revoked. */
  | { type: "keys"; revoked?: string }
  | { type: "breaker"; id: string; open: boolean; retryInMs: number };

export interface ClusterBus {
  publish(event: ClusterEvent): void;
  /** Events from other replicas (never this one's own). */
  subscribe(handler: (event: ClusterEvent) => void): void;
  /** Called when the subscription is back after being lost: events may have been missed meanwhile. */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}

export interface RedisOptions {
  url: string;
  /** Namespace for keys and the channel, so several gateways (or test runs) can share one Redis. */
  prefix?: string;
}

/** Reconnects for ever (at most every 2 s), and warns once per outage rather than on every failed attempt. */
export function connect(url: string, options: { offlineQueue: boolean }): Redis {
  const redis = new Redis(url, {
    // Commands fail at once while Redis is away (the limiter counts in memory meanwhile) instead of queueing;
    // the subscriber's one SUBSCRIBE waits for Redis however long it takes.
    enableOfflineQueue: options.offlineQueue,
    maxRetriesPerRequest: options.offlineQueue ? null : 1,
    commandTimeout: options.offlineQueue ? undefined : 1000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: false,
  });
  let warned = false;
  redis.on("error", (err) => {
    if (!warned) console.warn(`[cluster] redis unreachable (${err.message}): retrying in the background`);
    warned = true;
  });
  redis.on("ready", () => {
    if (warned) console.log("[cluster] redis is back");
    warned = false;
  });
  return redis;
}

export class RedisBus implements ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly origin = randomUUID();
  private readonly handlers: ((e: ClusterEvent) => void)[] = [];
  private readonly reconnectHandlers: (() => void)[] = [];
  /** Set when the subscriber lost (or never had) its connection: the next "ready" may follow missed events. */
  private lost = false;

  constructor(opts: RedisOptions) {
    this.channel = `${opts.prefix ?? "interference:"}events`;
    this.pub = connect(opts.url, { offlineQueue: false });
    // The subscriber queues its SUBSCRIBE until Redis is reachable, and ioredis subscribes again on every reconnect.
    this.sub = connect(opts.url, { offlineQueue: true });
    // A replica started while Redis was down missed events too, so any trouble before a "ready" counts.
    this.sub.on("error", () => (this.lost = true));
    this.sub.on("close", () => (this.lost = true));
    this.sub.on("ready", () => {
      if (!this.lost) return;
      this.lost = false;
      for (const h of this.reconnectHandlers) h();
    });
    this.sub.on("message", (_channel, raw: string) => {
      let msg: { origin: string; event: ClusterEvent };
      try {
        msg = JSON.parse(raw);
      } catch {
        return;
      }
      if (msg.origin === this.origin) return;
      for (const h of this.handlers) {
        try {
          h(msg.event);
        } catch (err) {
          console.warn(`[cluster] event ${msg.event.type} failed: ${(err as Error).message}`);
        }
      }
    });
  }

  /** Resolves once subscribed (events published before that are not seen). */
  async ready(): Promise<void> {
    await this.sub.subscribe(this.channel);
  }

  publish(event: ClusterEvent): void {
    this.pub.publish(this.channel, JSON.stringify({ origin: this.origin, event })).catch((err) => console.warn(`[cluster] publish failed: ${err.message}`));
  }

  subscribe(handler: (event: ClusterEvent) => void): void {
    this.handlers.push(handler);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }
}

/**
 * Rate limits counted in Redis: one INCR per request, shared by every replica. While Redis cannot be reached the
 * counting goes on in this replica's memory (per-replica limits), and goes back to Redis once it answers again.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly local: MemoryRateLimiter;

  constructor(opts: RedisOptions, now: () => number = Date.now) {
    this.redis = connect(opts.url, { offlineQueue: false });
    this.prefix = `${opts.prefix ?? "interference:"}rl:`;
    this.local = new MemoryRateLimiter(now);
  }

  /** Whether counts are kept in this replica alone right now. */
  get degraded(): boolean {
    return this.redis.status !== "ready";
  }

  /** Runs `shared` on Redis, or `local` when Redis is away or fails: a 429 decided by either is passed on. */
  private async either<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.degraded) return local();
    try {
      return await shared();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      return local();
    }
  }

  check(key: string, limits: RateLimits): Promise<void> {
    return this.either(
      async () => {
        const { window, leftMs } = windowAt(Date.now());
        const base = `${this.prefix}${key}:${window}`;
        if (limits.tpm) {
          const used = Number(await this.redis.get(this.tokensKey(key, window)));
          if (used >= limits.tpm) throw rateLimitError("tokens", limits.tpm, leftMs);
        }
        if (limits.rpm) {
          const [[, n]] = (await this.redis
            .multi()
            .incr(`${base}:requests`)
            .pexpire(`${base}:requests`, WINDOW_MS + 5000)
            .exec()) as [[null, number]];
          if (n > limits.rpm) throw rateLimitError("requests", limits.rpm, leftMs);
        }
      },
      () => this.local.check(key, limits),
    );
  }

  reserveTokens(key: string, tokens: number, tpm: number): Promise<number> {
    return this.either(
      async () => {
        const { window, leftMs } = windowAt(Date.now());
        // INCRBY answers the new total: one atomic step, so concurrent requests on every replica see each other.
        const total = await this.incrementTokens(key, tokens, window);
        if (total - tokens >= tpm) {
          this.redis.decrby(this.tokensKey(key, window), tokens).catch(() => {});
          throw rateLimitError("tokens", tpm, leftMs);
        }
        return window;
      },
      () => this.local.reserveTokens(key, tokens, tpm),
    );
  }

  addTokens(key: string, tokens: number, window: number): void {
    if (tokens === 0 || window !== windowAt(Date.now()).window) return;
    if (this.degraded) return this.local.addTokens(key, tokens, window);
    this.incrementTokens(key, tokens, window).catch(() => this.local.addTokens(key, tokens, window));
  }

  private tokensKey(key: string, window: number): string {
    return `${this.prefix}${key}:${window}:tokens`;
  }

  /** Adds to the key's token count in `window` (kept a little past the window's end); answers the new total. */
  private async incrementTokens(key: string, tokens: number, window: number): Promise<number> {
    const k = this.tokensKey(key, window);
    const [[, total]] = (await this.redis
      .multi()
      .incrby(k, tokens)
      .pexpire(k, WINDOW_MS + 5000)
      .exec()) as [[null, number]];
    return total;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * Checks every budget's counter and, when none is spent, adds the reservation to each distinct one: one atomic
 * step on Redis, so concurrent requests on every replica see each other. A counter that is missing (never seeded,
 * evicted, flushed) answers -i, and the caller seeds it from the durable record and tries again.
 */
const RESERVE_SCRIPT = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then return -i end
  if tonumber(redis.call('GET', key)) >= tonumber(ARGV[i + 1]) then return i end
end
local added = {}
for _, key in ipairs(KEYS) do
  if not added[key] then redis.call('INCRBY', key, ARGV[1]); added[key] = true end
end
return 0`;

/** Adds to the counters that still exist: a settlement must not recreate one without its seed. */
const SETTLE_SCRIPT = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('INCRBY', key, ARGV[1]) end
end
return 0`;

/** How often a replica says it is alive, and how long after its last word it stops being counted. */
const HEARTBEAT_MS = 5_000;
const REPLICA_TTL_MS = 20_000;

/**
 * Budgets shared by every replica through Redis (nano-dollar counters per budget and period, kept a period past its
 * end), each counter seeded from the request log the first time it is needed. Each replica says every few seconds
 * that it is alive, and counts the others. While Redis is away each replica counts alone, from the same durable
 * record, allowing itself only its share of what each budget had left (the remainder over the replicas it last
 * saw), so together they stay within it. When Redis is back, the shared counters are dropped and seeded again
 * from the record, which holds what every replica spent meanwhile.
 */
export class RedisBudgetLedger implements BudgetLedger {
  private readonly redis: Redis;
  private readonly prefix: string;
  private local: MemoryBudgetLedger;
  private readonly id = randomUUID();
  /** The replicas alive when Redis last answered, this one included. */
  private replicasSeen = 1;
  private wasDown = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    opts: RedisOptions,
    private readonly source: SpendSource,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = connect(opts.url, { offlineQueue: false });
    this.prefix = `${opts.prefix ?? "interference:"}budget:`;
    this.local = this.outageLedger();
    this.redis.on("ready", () => void this.back());
    this.redis.on("close", () => (this.wasDown = true));
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private outageLedger(): MemoryBudgetLedger {
    return new MemoryBudgetLedger(this.source, this.now, () => this.replicasSeen);
  }

  /** Says this replica is alive and counts those that are (those heard from within REPLICA_TTL_MS). */
  async beat(): Promise<number> {
    if (this.degraded) return this.replicasSeen;
    const key = `${this.prefix}replicas`;
    const now = Date.now();
    try {
      const [, , count] = (await this.redis
        .multi()
        .zadd(key, now, this.id)
        .zremrangebyscore(key, "-inf", now - REPLICA_TTL_MS)
        .zcard(key)
        .pexpire(key, REPLICA_TTL_MS * 3)
        .exec())!;
      this.replicasSeen = Math.max(1, Number(count?.[1] ?? 1));
    } catch {
      /* Redis went away meanwhile: the last count stands */
    }
    return this.replicasSeen;
  }

  /**
   * Redis is back after an outage: what the replicas spent meanwhile is in the record, not in the shared counters,
   * so those are dropped (each is seeded again from the record when next needed), and the outage's own counts go.
   */
  private async back(): Promise<void> {
    await this.beat();
    if (!this.wasDown) return;
    this.wasDown = false;
    try {
      let cursor = "0";
      do {
        const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", 500);
        cursor = next;
        const counters = keys.filter((k) => !k.startsWith(`${this.prefix}claimed:`) && k !== `${this.prefix}replicas`);
        if (counters.length) await this.redis.unlink(...counters);
      } while (cursor !== "0");
    } catch (err) {
      console.warn(`[budget] reconciling after the outage: ${(err as Error).message}`);
    }
    this.local = this.outageLedger();
  }

  get degraded(): boolean {
    return this.redis.status !== "ready";
  }

  /** Sets a counter from the record unless another replica did first; kept until a period after its end. */
  private async seed(b: Budget, now: number): Promise<void> {
    const { start, end } = periodOf(b.period, now);
    const spent = toNano(await readSpend(this.source, b, start));
    const key = this.prefix + counterId(b, now);
    if (end) await this.redis.set(key, spent, "PX", end.getTime() - now + (end.getTime() - start!.getTime()), "NX");
    else await this.redis.set(key, spent, "NX");
  }

  async reserve(budgets: readonly Budget[], usd: number): Promise<Reservation> {
    if (this.degraded) return this.local.reserve(budgets, usd);
    const now = this.now();
    const counters = budgets.map((b) => counterId(b, now));
    const keys = counters.map((c) => this.prefix + c);
    const nano = toNano(usd);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = Number(await this.redis.eval(RESERVE_SCRIPT, keys.length, ...keys, nano, ...budgets.map((b) => toNano(b.limit))));
        if (answer === 0) return { counters: [...new Set(counters)], nano, shared: true };
        if (answer > 0) throw budgetExceeded(budgets[answer - 1]!, fromNano(Number(await this.redis.get(keys[answer - 1]!))), now);
        await this.seed(budgets[-answer - 1]!, now);
      }
      throw new Error("budget counters could not be seeded");
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      return this.local.reserve(budgets, usd);
    }
  }

  async settle(reservation: Reservation, usd: number): Promise<void> {
    if (!reservation.shared) return this.local.settle(reservation, usd);
    const delta = toNano(usd) - reservation.nano;
    if (!delta) return;
    const keys = reservation.counters.map((c) => this.prefix + c);
    await this.redis.eval(SETTLE_SCRIPT, keys.length, ...keys, delta);
  }

  async spent(budgets: readonly Budget[]): Promise<number[]> {
    if (this.degraded) return this.local.spent(budgets);
    const now = this.now();
    return Promise.all(
      budgets.map(async (b) => {
        const key = this.prefix + counterId(b, now);
        let value = await this.redis.get(key);
        if (value === null) {
          await this.seed(b, now);
          value = await this.redis.get(key);
        }
        return fromNano(Number(value ?? 0));
      }),
    );
  }

  async claim(id: string, ttlMs: number | null): Promise<boolean> {
    if (this.degraded) return this.local.claim(id);
    try {
      const key = `${this.prefix}claimed:${id}`;
      const set = ttlMs ? await this.redis.set(key, "1", "PX", ttlMs, "NX") : await this.redis.set(key, "1", "NX");
      return set === "OK";
    } catch {
      return this.local.claim(id);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.redis.disconnect();
  }
}
