/**
 * The response cache in the database (the CacheEntry table): the exact cache's store when there is no Redis, and
 * the semantic cache's prompt vectors always. Expired rows are swept off the request path, once a minute.
 *
 * Nearest-prompt search runs in the database with pgvector where it has the extension (PGlite ships it; on
 * PostgreSQL it is `CREATE EXTENSION vector`, which needs the package installed): an HNSW index per vector size
 * over the `embedding` column. Without it, each process keeps a usearch HNSW index per scope and context, built
 * from the table at start and topped up from it every 2 s (rows other replicas wrote).
 */
import { createRequire } from "node:module";
import type * as Usearch from "usearch";
import type { CacheEntry, CacheStore, PurgeFilter, SemanticIndex, SemanticMatch } from "@interference/core";
import { unit } from "@interference/core";
import type { PrismaClient } from "./generated/prisma/client.js";
import { sqlRunner, type Sql } from "./sql.js";

// The CommonJS build: the ES module finds its native binary from its own file's path, which bundlers and test
// runners rewrite; `require` keeps __dirname true.
const { Index, MetricKind, ScalarKind } = createRequire(import.meta.url)("usearch") as typeof Usearch;
type Index = Usearch.Index;

const SWEEP_EVERY_MS = 60_000;
/** How often a usearch index reads the rows other replicas added. */
const REFRESH_EVERY_MS = 2_000;

type Row = { entry: unknown; id: string };

/** The row's JSON: the entry without its vector (that has a column of its own). */
function stored(entry: CacheEntry): string {
  const { vector: _v, ...rest } = entry;
  return JSON.stringify(rest);
}

// Plain SQL (sql.ts): a lookup on each cached request and a write on each miss. JSON and the vector go as text.
const PUT = `INSERT INTO "CacheEntry" (id, scope, namespace, key, model, provider, entry, cost, context, prompt, embedding, "createdAt", "expiresAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11::text::real[], $12, $13)
  ON CONFLICT (scope, namespace, key) DO UPDATE SET id = EXCLUDED.id, model = EXCLUDED.model, provider = EXCLUDED.provider,
    entry = EXCLUDED.entry, cost = EXCLUDED.cost, context = EXCLUDED.context, prompt = EXCLUDED.prompt,
    embedding = EXCLUDED.embedding, "createdAt" = EXCLUDED."createdAt", "expiresAt" = EXCLUDED."expiresAt"`;
const GET = `SELECT entry::text AS entry FROM "CacheEntry" WHERE scope = $1 AND namespace = $2 AND key = $3 AND "expiresAt" > $4`;

function upsert(sql: Sql, entry: CacheEntry, vector?: Float32Array): Promise<number> {
  return sql.execute(PUT, [
    entry.id,
    entry.scope,
    entry.namespace,
    entry.key,
    entry.model,
    entry.provider,
    stored(entry),
    entry.cost,
    entry.context ?? null,
    entry.prompt ?? null,
    `{${vector ? Array.from(vector).join(",") : ""}}`,
    new Date(entry.createdAt),
    new Date(entry.expiresAt),
  ]);
}

const purgeWhere = (f: PurgeFilter) => ({ scope: f.scope, ...(f.namespace !== undefined ? { namespace: f.namespace } : {}) });

/** The exact cache in the database. */
export class DatabaseCacheStore implements CacheStore {
  readonly kind: string;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly prisma: PrismaClient,
    database: string,
    /** How its statements run (sql.ts); by default through Prisma's raw SQL. */
    private readonly sql: Sql = sqlRunner(prisma, null),
  ) {
    this.kind = database;
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Deletes expired rows; how many. */
  async sweep(now = new Date()): Promise<number> {
    return (await this.prisma.cacheEntry.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }

  async get(scope: string, namespace: string, key: string): Promise<CacheEntry | null> {
    const [row] = await this.sql.query<{ entry: string }>(GET, [scope, namespace, key, new Date()]);
    return row ? (JSON.parse(row.entry) as CacheEntry) : null;
  }

  async put(entry: CacheEntry): Promise<void> {
    await upsert(this.sql, entry, entry.vector ? unit(entry.vector) : undefined);
  }

  async purge(filter: PurgeFilter): Promise<number> {
    return (await this.prisma.cacheEntry.deleteMany({ where: purgeWhere(filter) })).count;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

/** Only a whole number goes into SQL text (a vector's size). */
function dims(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 16_000) throw new Error(`not a vector size: ${n}`);
  return n;
}

/** pgvector: the search in SQL, over an HNSW index per vector size. */
class PgvectorIndex implements SemanticIndex {
  readonly kind = "pgvector";
  private readonly indexed = new Set<number>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
  ) {}

  /** The HNSW index for vectors of `d` numbers: made when the first such vector comes. */
  private async ensureIndex(d: number): Promise<void> {
    if (this.indexed.has(d)) return;
    await this.prisma.$executeRawUnsafe(
      `CREATE INDEX IF NOT EXISTS "CacheEntry_embedding_${d}_hnsw" ON "CacheEntry" USING hnsw ((embedding::vector(${d})) vector_cosine_ops) WHERE array_length(embedding, 1) = ${d}`,
    );
    this.indexed.add(d);
  }

  async add(entry: CacheEntry & { context: string; vector: number[] }): Promise<void> {
    const vector = unit(entry.vector);
    await this.ensureIndex(dims(vector.length));
    await upsert(this.sql, entry, vector);
  }

  async nearest(scope: string, namespace: string, context: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    const d = dims(vector.length);
    const literal = `[${Array.from(vector).join(",")}]`;
    const rows = await this.prisma.$queryRawUnsafe<Array<Row & { similarity: number }>>(
      `SELECT id, entry, 1 - ((embedding::vector(${d})) <=> $4::vector(${d})) AS similarity FROM "CacheEntry"
       WHERE scope = $1 AND namespace = $2 AND context = $3 AND "expiresAt" > now() AND array_length(embedding, 1) = ${d}
       ORDER BY (embedding::vector(${d})) <=> $4::vector(${d}) LIMIT $5`,
      scope,
      namespace,
      context,
      literal,
      k,
    );
    return rows.map((row) => ({ entry: row.entry as CacheEntry, similarity: Number(row.similarity) }));
  }

  async purge(filter: PurgeFilter): Promise<number> {
    return (await this.prisma.cacheEntry.deleteMany({ where: { ...purgeWhere(filter), context: { not: null } } })).count;
  }
}

interface Group {
  index: Index;
  /** usearch label → row id and expiry. */
  rows: Map<bigint, { id: string; expiresAt: number }>;
}

/** usearch: an HNSW index per scope, namespace and context in this process, fed from the table. */
class UsearchIndex implements SemanticIndex {
  readonly kind = "usearch";
  private readonly groups = new Map<string, Group>();
  private readonly known = new Set<string>();
  private nextLabel = 1n;
  private seenUntil = new Date(0);
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
  ) {}

  private group(scope: string, namespace: string, context: string, d: number): Group {
    const name = `${scope}\u0000${namespace}\u0000${context}\u0000${d}`;
    let g = this.groups.get(name);
    if (!g) {
      g = {
        index: new Index({
          dimensions: d,
          metric: MetricKind.Cos,
          quantization: ScalarKind.F32,
          connectivity: 16,
          expansion_add: 64,
          expansion_search: 64,
          multi: false,
        }),
        rows: new Map(),
      };
      this.groups.set(name, g);
    }
    return g;
  }

  private insert(id: string, scope: string, namespace: string, context: string, vector: Float32Array, expiresAt: number): void {
    if (this.known.has(id)) return;
    this.known.add(id);
    const g = this.group(scope, namespace, context, vector.length);
    const label = this.nextLabel++;
    g.index.add(label, vector);
    g.rows.set(label, { id, expiresAt });
  }

  /** Reads rows added since the last read (all of them the first time). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await this.prisma.cacheEntry.findMany({
          where: { createdAt: { gte: this.seenUntil }, expiresAt: { gt: new Date() }, context: { not: null } },
          select: { id: true, scope: true, namespace: true, context: true, embedding: true, createdAt: true, expiresAt: true },
          orderBy: { createdAt: "asc" },
        });
        for (const r of rows) {
          if (r.embedding.length) this.insert(r.id, r.scope, r.namespace, r.context!, Float32Array.from(r.embedding), r.expiresAt.getTime());
          if (r.createdAt > this.seenUntil) this.seenUntil = r.createdAt;
        }
        this.lastRefresh = Date.now();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async add(entry: CacheEntry & { context: string; vector: number[] }): Promise<void> {
    const vector = unit(entry.vector);
    await upsert(this.sql, entry, vector);
    this.insert(entry.id, entry.scope, entry.namespace, entry.context, vector, entry.expiresAt);
  }

  async nearest(scope: string, namespace: string, context: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    if (Date.now() - this.lastRefresh > REFRESH_EVERY_MS) await this.refresh();
    const g = this.groups.get(`${scope}\u0000${namespace}\u0000${context}\u0000${vector.length}`);
    if (!g || !g.index.size()) return [];
    const now = Date.now();
    const found = g.index.search(vector, Math.min(k * 2, g.index.size()), 1);
    const live: Array<{ label: bigint; id: string; similarity: number }> = [];
    for (let i = 0; i < found.keys.length && live.length < k; i++) {
      const label = found.keys[i]!;
      const row = g.rows.get(label);
      if (!row) continue;
      if (row.expiresAt <= now) {
        g.index.remove(label);
        g.rows.delete(label);
        continue;
      }
      live.push({ label, id: row.id, similarity: 1 - found.distances[i]! });
    }
    if (!live.length) return [];
    const stored = await this.prisma.cacheEntry.findMany({
      where: { id: { in: live.map((l) => l.id) }, expiresAt: { gt: new Date(now) } },
      select: { id: true, entry: true },
    });
    const byId = new Map(stored.map((r) => [r.id, r.entry as unknown as CacheEntry]));
    const out: SemanticMatch[] = [];
    for (const l of live) {
      const entry = byId.get(l.id);
      if (entry) out.push({ entry, similarity: l.similarity });
      else {
        // Purged or swept by another replica: forgotten here too.
        g.index.remove(l.label);
        g.rows.delete(l.label);
      }
    }
    return out;
  }

  async purge(filter: PurgeFilter): Promise<number> {
    for (const [name, g] of this.groups) {
      const [scope, namespace] = name.split("\u0000");
      if (scope === filter.scope && (filter.namespace === undefined || namespace === filter.namespace)) {
        this.groups.delete(name);
        for (const r of g.rows.values()) this.known.delete(r.id);
      }
    }
    return (await this.prisma.cacheEntry.deleteMany({ where: { ...purgeWhere(filter), context: { not: null } } })).count;
  }
}

/**
 * The semantic index for this database: pgvector when `CREATE EXTENSION vector` works, else usearch in process
 * (`prefer` forces one, for tests and benchmarks).
 */
export async function openSemanticIndex(prisma: PrismaClient, prefer?: "pgvector" | "usearch", sql: Sql = sqlRunner(prisma, null)): Promise<SemanticIndex> {
  if (prefer !== "usearch") {
    try {
      await prisma.$executeRawUnsafe("CREATE EXTENSION IF NOT EXISTS vector");
      return new PgvectorIndex(prisma, sql);
    } catch (err) {
      if (prefer === "pgvector") throw err;
    }
  }
  const index = new UsearchIndex(prisma, sql);
  await index.refresh();
  return index;
}
