/**
 * What replicas share through Redis (REDIS_URL): rate-limit counters, and change events on one pub/sub channel
 * (provider toggles and edits, API key changes, circuit breaker transitions) so a change made on one replica
 * applies on every other within milliseconds. Without Redis each replica keeps its own in memory.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { rateLimitError, windowAt, WINDOW_MS, type RateLimiter, type RateLimits } from "../ratelimit/limiter.js";

export type ClusterEvent =
  | { type: "provider"; id: string }
  /** API keys changed; `revoked` names a key just revoked. */
  | { type: "keys"; revoked?: string }
  | { type: "breaker"; id: string; open: boolean; retryInMs: number };

export interface ClusterBus {
  publish(event: ClusterEvent): void;
  /** Events from other replicas (never this one's own). */
  subscribe(handler: (event: ClusterEvent) => void): void;
  close(): Promise<void>;
}

export interface RedisOptions {
  url: string;
  /** Namespace for keys and the channel, so several gateways (or test runs) can share one Redis. */
  prefix?: string;
}

function connect(url: string): Redis {
  // Fail commands fast while Redis is away instead of queueing them without bound.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
  redis.on("error", (err) => console.warn(`[cluster] redis: ${err.message}`));
  return redis;
}

export class RedisBus implements ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly origin = randomUUID();
  private readonly handlers: ((e: ClusterEvent) => void)[] = [];

  constructor(opts: RedisOptions) {
    this.channel = `${opts.prefix ?? "interference:"}events`;
    this.pub = connect(opts.url);
    this.sub = connect(opts.url);
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

  async close(): Promise<void> {
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }
}

/** Rate limits counted in Redis: one INCR per request, shared by every replica. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(opts: RedisOptions) {
    this.redis = connect(opts.url);
    this.prefix = `${opts.prefix ?? "interference:"}rl:`;
  }

  async check(key: string, limits: RateLimits): Promise<void> {
    const { window, leftMs } = windowAt(Date.now());
    const base = `${this.prefix}${key}:${window}`;
    if (limits.tpm) {
      const used = Number(await this.redis.get(`${base}:tokens`));
      if (used >= limits.tpm) throw rateLimitError("tokens", limits.tpm, leftMs);
    }
    if (limits.rpm) {
      const [[, n]] = (await this.redis.multi().incr(`${base}:requests`).pexpire(`${base}:requests`, WINDOW_MS + 5000).exec()) as [[null, number]];
      if (n > limits.rpm) throw rateLimitError("requests", limits.rpm, leftMs);
    }
  }

  async reserveTokens(key: string, tokens: number, tpm: number): Promise<number> {
    const { window, leftMs } = windowAt(Date.now());
    const k = `${this.prefix}${key}:${window}:tokens`;
    // INCRBY answers the new total: one atomic step, so concurrent requests on every replica see each other.
    const [[, total]] = (await this.redis.multi().incrby(k, tokens).pexpire(k, WINDOW_MS + 5000).exec()) as [[null, number]];
    if (total - tokens >= tpm) {
      this.redis.decrby(k, tokens).catch(() => {});
      throw rateLimitError("tokens", tpm, leftMs);
    }
    return window;
  }

  addTokens(key: string, tokens: number, window: number): void {
    if (tokens === 0 || window !== windowAt(Date.now()).window) return;
    const k = `${this.prefix}${key}:${window}:tokens`;
    this.redis.multi().incrby(k, tokens).pexpire(k, WINDOW_MS + 5000).exec().catch(() => {});
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
