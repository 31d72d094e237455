/**
 * Where cached answers live: an exact store (by key) and, for the semantic cache, an index of prompt vectors. The
 * host picks them: Redis when replicas share one (cache/redis-store.ts), else the database (packages/db); memory
 * for a gateway on its own.
 */
import type { CanonicalResult } from "../canonical/types.js";

export interface CacheEntry {
  id: string;
  /** Whose answers these are: `key:<id>`, `team:<id>`, or `open` for a gateway without keys. */
  scope: string;
  /** The client's own partition (`cache: {namespace}`); "" by default. */
  namespace: string;
  key: string;
  /** The model the client asked for. */
  model: string | null;
  /** Who answered the first time. */
  provider: string | null;
  result: CanonicalResult;
  /** What the first answer cost (USD), which every hit saves; null when unpriced. */
  cost: number | null;
  createdAt: number;
  expiresAt: number;
  /** Semantic entries: the embedded text, the hash of the rest of the request, and the unit vector. */
  prompt?: string;
  context?: string;
  vector?: number[];
}

/** Which entries a purge removes: a scope's, optionally one namespace's. */
export interface PurgeFilter {
  scope: string;
  namespace?: string;
}

export interface CacheStore {
  /** What it is, for the start-up log and the README ("redis", "postgresql", "memory"). */
  readonly kind: string;
  get(scope: string, namespace: string, key: string): Promise<CacheEntry | null>;
  put(entry: CacheEntry): Promise<void>;
  purge(filter: PurgeFilter): Promise<number>;
  close?(): Promise<void>;
}

export interface SemanticMatch {
  entry: CacheEntry;
  similarity: number;
}

export interface SemanticIndex {
  /** "pgvector", "usearch" or "memory". */
  readonly kind: string;
  /** The `k` closest live entries with the same scope, namespace and context, closest first. */
  nearest(scope: string, namespace: string, context: string, vector: Float32Array, k: number): Promise<SemanticMatch[]>;
  add(entry: CacheEntry & { context: string; vector: number[] }): Promise<void>;
  purge(filter: PurgeFilter): Promise<number>;
  close?(): Promise<void>;
}

/** A vector scaled to length 1, so that cosine similarity is a dot product. */
export function unit(vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  const out = new Float32Array(vector.length);
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

const slot = (scope: string, namespace: string, key: string) => `${scope}\u0000${namespace}\u0000${key}`;

/**
 * One process's cache: a Map in insertion order, the oldest evicted past `maxEntries`, expired entries dropped when
 * read. The semantic side compares against every live entry of the same scope and context (exact search: fine for
 * the thousands one process holds).
 */
export class MemoryCacheStore implements CacheStore, SemanticIndex {
  readonly kind = "memory";
  private readonly entries = new Map<string, CacheEntry>();
  private readonly vectors = new Map<string, { entry: CacheEntry; vector: Float32Array }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(scope: string, namespace: string, key: string): Promise<CacheEntry | null> {
    const id = slot(scope, namespace, key);
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return null;
    }
    return entry;
  }

  async put(entry: CacheEntry): Promise<void> {
    const id = slot(entry.scope, entry.namespace, entry.key);
    this.entries.delete(id);
    this.entries.set(id, entry);
    evictOldest(this.entries, this.maxEntries);
  }

  async add(entry: CacheEntry & { context: string; vector: number[] }): Promise<void> {
    this.vectors.set(entry.id, { entry, vector: unit(entry.vector) });
    evictOldest(this.vectors, this.maxEntries);
  }

  async nearest(scope: string, namespace: string, context: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    const now = this.now();
    const found: SemanticMatch[] = [];
    for (const [id, v] of this.vectors) {
      const e = v.entry;
      if (e.expiresAt <= now) {
        this.vectors.delete(id);
        continue;
      }
      if (e.scope === scope && e.namespace === namespace && e.context === context) found.push({ entry: e, similarity: dot(vector, v.vector) });
    }
    return found.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }

  async purge(filter: PurgeFilter): Promise<number> {
    let n = 0;
    const matches = (e: CacheEntry) => e.scope === filter.scope && (filter.namespace === undefined || e.namespace === filter.namespace);
    for (const [id, e] of this.entries) if (matches(e)) n += Number(this.entries.delete(id));
    for (const [id, v] of this.vectors)
      if (matches(v.entry) && this.vectors.delete(id) && !this.entries.has(slot(v.entry.scope, v.entry.namespace, v.entry.key))) n++;
    return n;
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value!);
}
