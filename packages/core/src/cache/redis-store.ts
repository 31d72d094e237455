/**
 * The exact cache in Redis (REDIS_URL): shared by every replica, each entry with Redis's own expiry (PX), and at
 * most `maxEntries` of them: an index by time (a sorted set) evicts the oldest past the cap, so the cache's memory
 * stays under max_entries × max_entry_bytes whatever Redis's own maxmemory policy is. Commands fail at once while
 * Redis is away (no offline queue): the cache then misses and requests are served uncached.
 */
import type { Redis } from "ioredis";
import { connect, type RedisOptions } from "../cluster/redis.js";
import type { CacheEntry, CacheStore, PurgeFilter } from "./store.js";

/** Glob characters in a scope or namespace, escaped for SCAN MATCH. */
const globSafe = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export class RedisCacheStore implements CacheStore {
  readonly kind = "redis";
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly index: string;

  constructor(
    opts: RedisOptions,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = connect(opts.url, { offlineQueue: false });
    this.prefix = `${opts.prefix ?? "interference:"}cache:`;
    this.index = `${opts.prefix ?? "interference:"}cache-index`;
  }

  /** Whether Redis is connected (commands fail at once while it is not). */
  get connected(): boolean {
    return this.redis.status === "ready";
  }

  private keyOf(scope: string, namespace: string, key: string): string {
    return `${this.prefix}${encodeURIComponent(scope)}:${encodeURIComponent(namespace)}:${key}`;
  }

  async get(scope: string, namespace: string, key: string): Promise<CacheEntry | null> {
    const text = await this.redis.get(this.keyOf(scope, namespace, key));
    if (!text) return null;
    const entry = JSON.parse(text) as CacheEntry;
    return entry.expiresAt > this.now() ? entry : null;
  }

  async put(entry: CacheEntry): Promise<void> {
    const ttl = entry.expiresAt - this.now();
    if (ttl <= 0) return;
    const id = this.keyOf(entry.scope, entry.namespace, entry.key);
    // The prompt's vector (semantic entries) lives in the semantic index: 7 KB a MiniLM entry Redis need not hold.
    const { vector: _vector, ...stored } = entry;
    const results = await this.redis.multi().set(id, JSON.stringify(stored), "PX", ttl).zadd(this.index, entry.createdAt, id).zcard(this.index).exec();
    const count = Number(results?.[2]?.[1] ?? 0);
    if (count > this.maxEntries) {
      const oldest = (await this.redis.zpopmin(this.index, count - this.maxEntries)).filter((_, i) => i % 2 === 0);
      if (oldest.length) await this.redis.unlink(...oldest);
    }
  }

  async purge(filter: PurgeFilter): Promise<number> {
    const ns = filter.namespace === undefined ? "*" : globSafe(encodeURIComponent(filter.namespace));
    const match = `${globSafe(this.prefix)}${globSafe(encodeURIComponent(filter.scope))}:${ns}:*`;
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", match, "COUNT", 500);
      cursor = next;
      if (keys.length) {
        deleted += await this.redis.unlink(...keys);
        await this.redis.zrem(this.index, ...keys);
      }
    } while (cursor !== "0");
    return deleted;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
