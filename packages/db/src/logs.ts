/**
 * The request log. Writes are batched (one multi-row INSERT per flush), so logging never adds a database
 * round-trip to a request; rows wait in memory while the database is unreachable and are retried, and
 * `flush`/`close` write everything pending (graceful shutdown loses no row).
 * Reads are newest first with keyset pagination on (time, id), which stays fast at millions of rows.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { EmbeddedDb } from "./pglite-thread-client.js";
import type { RequestBodies, RequestLogEntry } from "@interference/core";
import { Prisma, type PrismaClient, type RequestLog } from "./generated/prisma/client.js";
import type { LogFilter, LogPage, LogStore, LogSummary, ProviderStats, UsageBucket } from "./store.js";

export interface LogWriterOptions {
  /** Longest a row waits before it is written. */
  flushIntervalMs?: number;
  /** Rows per INSERT. */
  batchSize?: number;
  /** Rows kept while the database is down; beyond that the oldest are dropped (and counted). */
  maxPending?: number;
  /**
   * A folder where each row is also appended (synchronously, at the end of the event loop's turn; `durable()`
   * says when): rows still waiting for the database survive the process being killed (SIGKILL, OOM) and are
   * written at the next start (`recoverSpool`). Off when absent: a kill then loses the rows of the last flush
   * interval.
   */
  spoolDir?: string;
}

function toEntry(r: RequestLog): RequestLogEntry {
  return {
    id: r.id,
    time: r.time,
    apiKeyId: r.apiKeyId,
    teamId: r.teamId,
    method: r.method,
    route: r.route,
    model: r.model,
    requestedProviders: r.requestedProviders,
    attempts: r.attempts as unknown as RequestLogEntry["attempts"],
    routing: (r.routing ?? null) as unknown as RequestLogEntry["routing"],
    provider: r.provider,
    servedModel: r.servedModel,
    status: r.status,
    stream: r.stream,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    totalTokens: r.totalTokens,
    cost: r.cost,
    costEstimated: r.costEstimated,
    audioSeconds: r.audioSeconds,
    audioBytes: r.audioBytes,
    error: r.error,
    cache: r.cache as RequestLogEntry["cache"],
    cacheEntryId: r.cacheEntryId,
    cacheSaved: r.cacheSaved,
    endUser: r.endUser,
    tags: Array.isArray(r.tags) ? (r.tags as string[]) : null,
  };
}

/**
 * One statement and one JSON parameter per batch: the database unpacks the rows itself. Measured on the
 * request-log bench, Prisma's createMany spent more CPU building a 500-row insert than the gateway spent
 * serving the 500 requests; this keeps the write off the hot path in CPU as well as in latency.
 */
const LOG_COLUMNS = {
  id: "text",
  time: "timestamptz",
  apiKeyId: "text",
  teamId: "text",
  method: "text",
  route: "text",
  model: "text",
  requestedProviders: "text",
  attempts: "jsonb",
  routing: "jsonb",
  provider: "text",
  servedModel: "text",
  status: "integer",
  stream: "boolean",
  latencyMs: "double precision",
  ttftMs: "double precision",
  promptTokens: "integer",
  completionTokens: "integer",
  totalTokens: "integer",
  cost: "double precision",
  costEstimated: "boolean",
  audioSeconds: "double precision",
  audioBytes: "integer",
  error: "text",
  cache: "text",
  cacheEntryId: "text",
  cacheSaved: "double precision",
  endUser: "text",
  tags: "jsonb",
} satisfies Record<Exclude<keyof RequestLogEntry, "routePattern" | "traceHeaders">, string>; // for metrics and traces, not stored
const cols = Object.keys(LOG_COLUMNS)
  .map((c) => `"${c}"`)
  .join(", ");
const INSERT_BATCH = `INSERT INTO "RequestLog" (${cols})
  SELECT ${cols} FROM jsonb_to_recordset($1::jsonb) AS r(${Object.entries(LOG_COLUMNS)
    .map(([c, t]) => `"${c}" ${t}`)
    .join(", ")})
  ON CONFLICT (id) DO NOTHING`;

function where(f: LogFilter): Prisma.RequestLogWhereInput {
  const all: Prisma.RequestLogWhereInput[] = [];
  // Any provider the request went to: the one that served it, or one that failed inside its chain (skipped ones
  // were never tried).
  const providers = f.provider === undefined ? [] : [f.provider].flat();
  if (providers.length) {
    all.push({
      OR: providers.flatMap((provider) => [
        { provider },
        { attempts: { array_contains: [{ provider, outcome: "failed" }] } },
        { attempts: { array_contains: [{ provider, outcome: "served" }] } },
      ]),
    });
  }
  if (f.model) all.push({ model: f.model });
  // Served after leaving a provider for another: the router marks the failure that made it move on (moved_on),
  // so a retry on the same provider is not a failover.
  if (f.failedOver) all.push({ attempts: { array_contains: [{ moved_on: true }] } }, { provider: { not: null } });
  if (f.apiKeyId) all.push({ apiKeyId: f.apiKeyId });
  if (f.teamId) all.push({ teamId: f.teamId });
  if (f.endUser) all.push({ endUser: f.endUser });
  if (f.tag) all.push({ tags: { array_contains: [f.tag] } });
  if (f.visibleTo) {
    const { teamIds, apiKeyIds } = f.visibleTo;
    all.push({ OR: [{ teamId: { in: teamIds } }, { apiKeyId: { in: apiKeyIds } }] });
  }
  if (f.status?.length) {
    const any = f.status.flatMap((s): Prisma.RequestLogWhereInput[] => {
      const cls = /^([1-5])xx$/i.exec(s);
      if (cls) return [{ status: { gte: Number(cls[1]) * 100, lt: Number(cls[1]) * 100 + 100 } }];
      return /^\d{3}$/.test(s) ? [{ status: Number(s) }] : [];
    });
    if (any.length) all.push({ OR: any });
  }
  if (f.text) {
    const contains = { contains: f.text, mode: "insensitive" } as const;
    all.push({ OR: [{ id: contains }, { route: contains }, { model: contains }, { servedModel: contains }, { provider: contains }, { error: contains }] });
  }
  if (f.from || f.to) all.push({ time: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } });
  return all.length ? { AND: all } : {};
}

const SORT_COLUMN = { cost: "cost", tokens: "totalTokens" } as const;

/** Time order pages by keyset (fast at millions of rows); the other orders by offset, ties broken newest first. */
const encodeCursor = (r: { time: Date; id: string }) => Buffer.from(`${r.time.toISOString()}|${r.id}`).toString("base64url");
function decodeCursor(c: string): { time: Date; id: string } | null {
  const [iso, id] = Buffer.from(c, "base64url").toString().split("|");
  const time = new Date(iso ?? "");
  return id && !Number.isNaN(time.getTime()) ? { time, id } : null;
}
const offsetOf = (c: string | null) => (c && /^o\d{1,9}$/.test(c) ? Number(c.slice(1)) : 0);

/** Writes one batch of rows, all or none (a batch that fails is retried whole). */
export type BatchInsert<T = RequestLogEntry> = (rows: T[]) => Promise<void>;

/** The batch insert for any PostgreSQL, through Prisma: one statement, the rows as one JSON parameter. */
export function jsonBatchInsert(prisma: PrismaClient): BatchInsert {
  // ON CONFLICT DO NOTHING: a batch retried after a lost reply must not fail on rows that did land.
  return async (rows) => void (await prisma.$executeRawUnsafe(INSERT_BATCH, JSON.stringify(rows)));
}

const LOG_KEYS = Object.keys(LOG_COLUMNS) as Array<keyof RequestLogEntry>;
const COPY_BATCH = `COPY "RequestLog" (${cols}) FROM '/dev/blob'`;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;

/** One value in PostgreSQL's COPY text format: \N for null, backslash escapes for the separators. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text =
    value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(value) : String(value as string | number | boolean | bigint);
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : text;
}

/** Rows as COPY text: a line each, tab-separated, in LOG_COLUMNS order. */
export function toCopyText(rows: RequestLogEntry[]): string {
  let out = "";
  for (const row of rows) {
    for (let i = 0; i < LOG_KEYS.length; i++) out += (i ? "\t" : "") + copyField(row[LOG_KEYS[i]!]);
    out += "\n";
  }
  return out;
}

/**
 * The batch insert for the embedded database: COPY straight into PGlite, which took half the CPU per row of the
 * JSON insert (bench/log-insert.mjs). COPY is all-or-nothing but knows no ON CONFLICT, so a batch that meets rows
 * already written (a retry) goes again through the JSON insert, which skips them.
 */
export function pgliteCopyInsert(db: EmbeddedDb): BatchInsert {
  return async (rows) => {
    try {
      await db.query(COPY_BATCH, [], { blob: new Blob([toCopyText(rows)]) });
    } catch (err) {
      if ((err as { code?: string }).code !== "23505") throw err; // unique_violation
      await db.query(INSERT_BATCH, [JSON.stringify(rows)]);
    }
  };
}

/** Text PostgreSQL refuses (NUL, unpaired surrogates) made storable, so one odd request cannot block the log. */
function storable(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes("\u0000") ? wellFormed.replaceAll("\u0000", "\uFFFD") : wellFormed;
}

const isStorable = (text: string) => text.isWellFormed() && !text.includes("\u0000");

/** Whether every text in a log value can be stored (keys are the gateway's own names, never a client's). */
function allStorable(value: unknown): boolean {
  if (typeof value === "string") return isStorable(value);
  if (typeof value !== "object" || value === null || value instanceof Date) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (!allStorable(v)) return false;
    return true;
  }
  for (const k in value) if (!allStorable((value as Record<string, unknown>)[k])) return false;
  return true;
}

function storableValue(value: unknown): unknown {
  if (typeof value === "string") return storable(value);
  if (Array.isArray(value)) return value.map(storableValue);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storableValue(v)]));
  }
  return value;
}

/** The entry with every text in it storable (a copy only when something had to change). */
export function storableEntry<T>(entry: T): T {
  return allStorable(entry) ? entry : (storableValue(entry) as T);
}

/** The SQLSTATE of a database error, from PGlite or from Prisma's driver adapters. */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: string; code?: string } } } };
  const cause = e?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code ?? e?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Data exceptions (22xxx) and integrity violations (23xxx): the same rows would fail again, however often retried. */
export const refusesTheRows = (err: unknown) => /^2[23]/.test(sqlState(err) ?? "");

/** A spool segment: rows already appended, now closed to new ones. */
interface SpoolSegment {
  remove(): void;
}

/** Spools with lines not yet written, written out when the process exits (an uncaught error, process.exit). */
const openSpools = new Set<Spool>();
let exitHook = false;

/**
 * The write-ahead file of a LogWriter: one JSON line per row, in the OS's page cache (it outlives the process,
 * not the machine). The rows of one turn of the event loop go out in one synchronous write at its end (a system
 * call per turn, not per row: under load that was a tenth of a request's CPU), and the answers of that turn wait
 * for it (`durable`), so no answer is ahead of its row. Rotated into numbered segments that are deleted once
 * their rows are in the database.
 */
class Spool {
  private fd: number | null = null;
  private path = "";
  private appended = 0;
  private seq = 0;
  private readonly prefix = `${process.pid}-${Date.now()}`;
  /** Lines appended since the last write, and what the answers of their rows wait for. */
  private lines = "";
  private due: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    openSpools.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on("exit", () => {
        for (const spool of openSpools) spool.writeOut();
      });
    }
  }

  append(row: unknown): void {
    this.lines += `${JSON.stringify(row)}\n`;
    if (this.due) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.due = { promise, resolve };
    setImmediate(this.writeOut);
  }

  /** Resolves once every row appended so far is in the file; null when they already are. */
  durable(): Promise<void> | null {
    return this.due?.promise ?? null;
  }

  /** Writes the lines appended so far (at the end of the turn, before a rotation, at exit). */
  readonly writeOut = (): void => {
    const due = this.due;
    this.due = null;
    if (this.lines) {
      const lines = this.lines;
      this.lines = "";
      try {
        if (this.fd === null) {
          this.path = join(this.dir, `${this.prefix}-${String(this.seq++).padStart(8, "0")}.jsonl`);
          this.fd = openSync(this.path, "a");
        }
        writeSync(this.fd, lines);
        this.appended++;
      } catch (err) {
        // The rows still go to the database; only a kill before they do would lose them.
        console.warn(`[db] request log: the spool could not be written: ${(err as Error).message}`);
      }
    }
    due?.resolve();
  };

  /** Closes the current file as a segment (null: nothing appended since the last one). */
  rotate(): SpoolSegment | null {
    this.writeOut();
    if (this.fd === null || !this.appended) return null;
    closeSync(this.fd);
    const path = this.path;
    this.fd = null;
    this.appended = 0;
    return { remove: () => rmSync(path, { force: true }) };
  }

  /** Every row appended is in the database: the lines not written yet are dropped, the open file deleted. */
  discard(): void {
    this.lines = "";
    this.rotate()?.remove(); // nothing left to write: this resolves `durable` and closes the file
  }
}

/**
 * Rows a killed process left in `dir` (every segment, a torn last line skipped), written to the database now,
 * then deleted. Rows written before are skipped (ON CONFLICT DO NOTHING). Returns how many rows were read.
 */
export async function recoverSpool(dir: string, insert: BatchInsert, batchSize = 500): Promise<number> {
  if (!existsSync(dir)) return 0;
  let recovered = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".jsonl"))
    .sort()) {
    const path = join(dir, name);
    const rows: RequestLogEntry[] = [];
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (!line) continue;
      try {
        const row = JSON.parse(line) as RequestLogEntry;
        rows.push({ ...row, time: new Date(row.time) });
      } catch {
        /* the line being written when the process died */
      }
    }
    for (let i = 0; i < rows.length; i += batchSize) await insert(rows.slice(i, i + batchSize));
    recovered += rows.length;
    rmSync(path, { force: true });
  }
  return recovered;
}

/** Batches rows of the request log (or of another table written the same way, such as the stored bodies). */
export class LogWriter<T extends { id: string } = RequestLogEntry> {
  private pending: T[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  dropped = 0;
  written = 0;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxPending: number;
  private readonly spool: Spool | null;
  /** Rows that have left the queue since start, and the spool segments waiting for theirs to. */
  private consumed = 0;
  private readonly segments: Array<{ segment: SpoolSegment; endsAt: number }> = [];

  constructor(
    private readonly insert: BatchInsert<T>,
    opts: LogWriterOptions = {},
    /** Makes a row storable before it waits (PostgreSQL refuses NUL and lone surrogates in text). */
    private readonly prepare: (row: T) => T = storableEntry,
  ) {
    this.flushIntervalMs = opts.flushIntervalMs ?? 200;
    this.batchSize = opts.batchSize ?? 500;
    this.maxPending = opts.maxPending ?? 100_000;
    this.spool = opts.spoolDir ? new Spool(opts.spoolDir) : null;
  }

  write(entry: T): void {
    const row = this.prepare(entry);
    this.spool?.append(row);
    this.pending.push(row);
    if (this.pending.length > this.maxPending) {
      const over = this.pending.length - this.maxPending;
      this.consume(over);
      this.dropped += over;
      console.warn(`[db] request log: database unreachable, ${this.dropped} row(s) dropped so far`);
    }
    if (this.pending.length >= this.batchSize) void this.drain();
    else this.schedule(this.flushIntervalMs);
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, ms);
    this.timer.unref();
  }

  /** Writes pending rows in batches; one writer at a time. */
  private drain(): Promise<void> {
    // Assigned before the write can settle: `writing` is null again only once this writer is done, even when
    // there was nothing to write. (An earlier `writing ??= (async () => …)()` kept a settled promise whenever
    // the body finished synchronously, and from then on no row was ever written.)
    this.writing ??= this.writeAll().finally(() => {
      this.writing = null;
      if (this.pending.length) this.schedule(this.flushIntervalMs); // rows that came in as this writer finished
    });
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    // The spool so far holds rows that are all still pending: it is set aside as a segment, deleted once every
    // row up to its last has left the queue (written, or set aside as refused).
    const segment = this.spool?.rotate();
    if (segment) this.segments.push({ segment, endsAt: this.consumed + this.pending.length });
    while (this.pending.length) {
      const batch = this.pending.slice(0, this.batchSize);
      try {
        await this.insert(batch);
        this.written += batch.length;
      } catch (err) {
        if (!refusesTheRows(err)) return this.retryLater(err);
        // The database is up but refuses something in this batch: write the rows one by one and set aside only
        // those it refuses, rather than retrying the whole batch for ever while the log stops.
        for (let i = 0; i < batch.length; i++) {
          try {
            await this.insert([batch[i]!]);
            this.written++;
          } catch (rowErr) {
            if (!refusesTheRows(rowErr)) {
              this.consume(i);
              return this.retryLater(rowErr);
            }
            this.dropped++;
            console.warn(`[db] request log: row ${batch[i]!.id} refused by the database and skipped: ${errorSummary(rowErr)}`);
          }
        }
      }
      this.failures = 0;
      this.consume(batch.length);
      // Let requests run between batches: each batch's text is built on this thread.
      if (this.pending.length) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Rows that left the front of the queue; spool segments wholly behind them go. */
  private consume(n: number): void {
    this.pending.splice(0, n);
    this.consumed += n;
    while (this.segments.length && this.segments[0]!.endsAt <= this.consumed) this.segments.shift()!.segment.remove();
    // Nothing pending: whatever the spool holds is written too.
    if (!this.pending.length) this.spool?.discard();
  }

  private retryLater(err: unknown): void {
    this.failures++;
    if (this.failures === 1 || this.failures % 50 === 0) console.warn(`[db] request log write failed (will retry): ${errorSummary(err)}`);
    this.schedule(Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)));
  }

  /** Writes everything pending now (retrying until `deadlineMs`). */
  async flush(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (true) {
      await this.writing;
      if (!this.pending.length) return;
      await this.drain();
      if (!this.pending.length) return;
      if (Date.now() > until) throw new Error(`request log: ${this.pending.length} row(s) could not be written`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** When the rows written so far are safe from a kill (in the spool); null when they are already, or there is none. */
  durable(): Promise<void> | null {
    return this.spool?.durable() ?? null;
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}

/** The line of a database error that says what went wrong (Prisma puts it last). */
function errorSummary(err: unknown): string {
  return err instanceof Error ? err.message.trim().split("\n").pop()! : String(err);
}

interface SummaryRow {
  requests: bigint;
  errors: bigint;
  p50?: number | null;
  p95?: number | null;
  ttft50?: number | null;
  ttft95?: number | null;
  cost?: number | null;
  prompt?: bigint | null;
  completion?: bigint | null;
  cache_lookups?: bigint | null;
  cache_hits?: bigint | null;
  cache_saved?: number | null;
}

const numberOrNull = (v: number | null | undefined) => (v == null ? null : Number(v));

function toSummary(r: SummaryRow): LogSummary {
  return {
    requests: Number(r.requests),
    errors: Number(r.errors),
    p50Ms: numberOrNull(r.p50),
    p95Ms: numberOrNull(r.p95),
    ttftP50Ms: numberOrNull(r.ttft50),
    ttftP95Ms: numberOrNull(r.ttft95),
    cost: Number(r.cost ?? 0),
    promptTokens: Number(r.prompt ?? 0),
    completionTokens: Number(r.completion ?? 0),
    ...cacheFigures(r),
  };
}

/** The response cache's figures of a set of rows: lookups (hits and misses), hits, and the USD the hits saved. */
function cacheFigures(r: Pick<SummaryRow, "cache_lookups" | "cache_hits" | "cache_saved">) {
  return { cacheLookups: Number(r.cache_lookups ?? 0), cacheHits: Number(r.cache_hits ?? 0), cacheSaved: Number(r.cache_saved ?? 0) };
}

/** The SQL of those figures (a `cache: skip` row was not looked up); its columns are RequestLog's alone. */
const CACHE_COLUMNS = Prisma.sql`count(*) FILTER (WHERE cache IN ('hit', 'semantic-hit', 'miss')) AS cache_lookups,
  count(*) FILTER (WHERE cache IN ('hit', 'semantic-hit')) AS cache_hits,
  sum("cacheSaved") FILTER (WHERE cache IN ('hit', 'semantic-hit')) AS cache_saved`;

/** Stored bodies: one statement per batch, the rows as one JSON parameter. */
export function bodyBatchInsert(prisma: PrismaClient): BatchInsert<RequestBodies> {
  return async (rows) =>
    void (await prisma.$executeRawUnsafe(
      `INSERT INTO "RequestBody" (id, time, request, response, truncated)
         SELECT id, time, request, response, truncated
           FROM jsonb_to_recordset($1::jsonb) AS r(id text, time timestamptz, request text, response text, truncated boolean)
       ON CONFLICT (id) DO NOTHING`,
      JSON.stringify(rows),
    ));
}

export function logStore(prisma: PrismaClient, writer: LogWriter, bodyWriter?: LogWriter<RequestBodies>): LogStore {
  return {
    sink: { write: (e) => writer.write(e), flush: () => writer.flush(), durable: () => writer.durable() },

    bodies: {
      sink: { write: (b) => bodyWriter?.write(b), flush: async () => bodyWriter?.flush() },
      async get(id) {
        const row = await prisma.requestBody.findUnique({ where: { id } });
        return row ? { id: row.id, time: row.time, request: row.request, response: row.response, truncated: row.truncated } : null;
      },
      async purge(before) {
        return (await prisma.requestBody.deleteMany({ where: { time: { lt: before } } })).count;
      },
    },

    async query(filter, cursor, limit, sort = { by: "time", dir: "desc" }): Promise<LogPage> {
      const take = Math.min(Math.max(limit, 1), 500);
      const w = where(filter);
      if (sort.by !== "time") {
        const skip = offsetOf(cursor);
        const rows = await prisma.requestLog.findMany({
          where: w,
          // Latency is always set; cost and tokens may be unknown, and unknown sorts last either way.
          orderBy: [
            sort.by === "latency" ? { latencyMs: sort.dir } : { [SORT_COLUMN[sort.by]]: { sort: sort.dir, nulls: "last" } },
            { time: "desc" },
            { id: "desc" },
          ],
          skip,
          take: take + 1,
        });
        return { rows: rows.slice(0, take).map(toEntry), nextCursor: rows.length > take ? `o${skip + take}` : null };
      }
      const after = cursor ? decodeCursor(cursor) : null;
      const before = sort.dir === "desc" ? "lt" : "gt";
      const rows = await prisma.requestLog.findMany({
        where: after ? { AND: [w, { OR: [{ time: { [before]: after.time } }, { time: after.time, id: { [before]: after.id } }] }] } : w,
        orderBy: [{ time: sort.dir }, { id: sort.dir }],
        take: take + 1,
      });
      const page = rows.slice(0, take);
      return { rows: page.map(toEntry), nextCursor: rows.length > take ? encodeCursor(page[page.length - 1]!) : null };
    },

    async get(id) {
      const r = await prisma.requestLog.findUnique({ where: { id } });
      return r ? toEntry(r) : null;
    },

    count: (filter = {}) => prisma.requestLog.count({ where: where(filter) }),

    async spend(scope, since) {
      // Rows still waiting in the writer are part of the spend: written first (rare: budgets ask once a period).
      await writer.flush();
      const sum = await prisma.requestLog.aggregate({
        _sum: { cost: true },
        where: {
          ...(scope.owner === "key" ? { apiKeyId: scope.ownerId } : { teamId: scope.ownerId }),
          ...(scope.model ? { model: scope.model } : {}),
          ...(since ? { time: { gte: since } } : {}),
        },
      });
      return sum._sum.cost ?? 0;
    },

    async providerStats(since): Promise<ProviderStats[]> {
      // A provider took part in a request when it was tried (failed) or served it, counted once per request however
      // many tries it had; the request is an error for it unless it served it successfully.
      const part = await prisma.$queryRaw<{ provider: string; requests: bigint; errors: bigint }[]>`
        SELECT p.provider,
               count(*) AS requests,
               count(*) FILTER (WHERE l.provider IS DISTINCT FROM p.provider OR l.status >= 400) AS errors
          FROM "RequestLog" l,
               LATERAL (SELECT DISTINCT a->>'provider' AS provider
                          FROM jsonb_array_elements(l.attempts) a
                         WHERE a->>'outcome' IN ('served', 'failed')) p
         WHERE l.time >= ${since}
         GROUP BY p.provider`;
      // Latency and tokens are those of the requests it served.
      const served = await prisma.$queryRaw<{ provider: string; p50: number | null; p95: number | null; prompt: bigint | null; completion: bigint | null }[]>`
        SELECT provider,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY "latencyMs") AS p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY "latencyMs") AS p95,
               sum("promptTokens") AS prompt,
               sum("completionTokens") AS completion
          FROM "RequestLog"
         WHERE time >= ${since} AND provider IS NOT NULL
         GROUP BY provider`;
      const byProvider = new Map(served.map((r) => [r.provider, r]));
      const stats = new Map<string, ProviderStats>();
      for (const r of part) {
        const s = byProvider.get(r.provider);
        stats.set(r.provider, {
          provider: r.provider,
          requests: Number(r.requests),
          errors: Number(r.errors),
          errorRate: 0,
          p50Ms: s?.p50 == null ? null : Number(s.p50),
          p95Ms: s?.p95 == null ? null : Number(s.p95),
          promptTokens: Number(s?.prompt ?? 0),
          completionTokens: Number(s?.completion ?? 0),
        });
      }
      for (const s of stats.values()) s.errorRate = s.requests ? s.errors / s.requests : 0;
      return [...stats.values()];
    },

    async summary({ from, to, bucket }) {
      const unit = ({ minute: "minute", hour: "hour", day: "day" } as const)[bucket];
      // One scan: the range's totals are the grouping set () beside the per-bucket rows.
      const rows = await prisma.$queryRaw<Array<SummaryRow & { t: Date | null }>>`
        SELECT date_trunc(${unit}, time) AS t,
               count(*) AS requests,
               count(*) FILTER (WHERE status >= 400) AS errors,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY "latencyMs") AS p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY "latencyMs") AS p95,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY "ttftMs") AS ttft50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY "ttftMs") AS ttft95,
               sum(cost) AS cost,
               sum("promptTokens") AS prompt,
               sum("completionTokens") AS completion,
               ${CACHE_COLUMNS}
          FROM "RequestLog"
         WHERE time >= ${from} AND time < ${to}
         GROUP BY GROUPING SETS ((1), ())
         ORDER BY 1 NULLS FIRST`;
      const totalRow = rows.find((r) => r.t === null);
      return {
        total: totalRow ? toSummary(totalRow) : toSummary({ requests: 0n, errors: 0n }),
        series: rows.filter((r) => r.t !== null).map((r) => ({ t: new Date(r.t!), ...toSummary(r) })),
      };
    },

    async usageByOwner(owner, since) {
      const column = owner === "apiKey" ? Prisma.sql`"apiKeyId"` : Prisma.sql`"teamId"`;
      const rows = await prisma.$queryRaw<{ owner: string; requests: bigint; errors: bigint; tokens: bigint | null; cost: number | null }[]>`
        SELECT ${column} AS owner, count(*) AS requests, count(*) FILTER (WHERE status >= 400) AS errors,
               sum("totalTokens") AS tokens, sum(cost) AS cost
          FROM "RequestLog" WHERE time >= ${since} AND ${column} IS NOT NULL
         GROUP BY 1`;
      return new Map(
        rows.map((r) => [r.owner, { requests: Number(r.requests), errors: Number(r.errors), tokens: Number(r.tokens ?? 0), cost: Number(r.cost ?? 0) }]),
      );
    },

    async usage({ since, bucket, groupBy }): Promise<UsageBucket[]> {
      const unit = ({ minute: "minute", hour: "hour", day: "day" } as const)[bucket];
      type Row = {
        t: Date;
        grp: string;
        requests: bigint;
        errors: bigint;
        tokens: bigint | null;
        cost: number | null;
        p50: number;
        p95: number;
        detail?: string | null;
        cache_lookups: bigint;
        cache_hits: bigint;
        cache_saved: number | null;
      };
      let rows: Row[];
      if (groupBy === "provider") {
        // As on the Providers page: a provider counts each request it took part in (tried and failed, or served),
        // once however many tries; the request is an error for it unless it served it successfully. Tokens and
        // cost are those of the requests it served; latency that of the requests it took part in (a failed
        // provider's is what its failures cost the client). Requests no provider was tried for: "(none)".
        rows = await prisma.$queryRaw<Row[]>`
          SELECT date_trunc(${unit}, l.time) AS t, coalesce(p.provider, '(none)') AS grp, count(*) AS requests,
                 count(*) FILTER (WHERE p.provider IS NULL OR l.provider IS DISTINCT FROM p.provider OR l.status >= 400) AS errors,
                 sum(l."totalTokens") FILTER (WHERE l.provider = p.provider) AS tokens,
                 sum(l.cost) FILTER (WHERE l.provider = p.provider) AS cost,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY l."latencyMs") AS p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY l."latencyMs") AS p95,
                 ${CACHE_COLUMNS}
            FROM "RequestLog" l
            LEFT JOIN LATERAL (SELECT DISTINCT a->>'provider' AS provider
                                 FROM jsonb_array_elements(l.attempts) a
                                WHERE a->>'outcome' IN ('served', 'failed')) p ON true
           WHERE l.time >= ${since}
           GROUP BY 1, 2 ORDER BY 1, 2`;
      } else {
        // Models by the id clients asked for (as budgets and the log count them; an alias is one model), the ids
        // the providers reported beside it; a request that named none by what served it.
        const column =
          groupBy === "model"
            ? Prisma.sql`coalesce(model, "servedModel", '(none)')`
            : groupBy === "team"
              ? Prisma.sql`coalesce("teamId", '(no team)')`
              : groupBy === "endUser"
                ? Prisma.sql`coalesce("endUser", '(no end user)')`
                : groupBy === "tag"
                  ? Prisma.sql`coalesce(tag, '(no tag)')`
                  : Prisma.sql`coalesce("apiKeyId", '(no key)')`;
        const detail = groupBy === "model" ? Prisma.sql`, string_agg(DISTINCT "servedModel", ', ') AS detail` : Prisma.empty;
        // By tag, a request counts once under each of its tags.
        const tags = groupBy === "tag" ? Prisma.sql`LEFT JOIN LATERAL jsonb_array_elements_text(coalesce(tags, '[]'::jsonb)) AS tg(tag) ON true` : Prisma.empty;
        rows = await prisma.$queryRaw<Row[]>`
          SELECT date_trunc(${unit}, time) AS t, ${column} AS grp, count(*) AS requests,
                 count(*) FILTER (WHERE status >= 400) AS errors, sum("totalTokens") AS tokens, sum(cost) AS cost,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY "latencyMs") AS p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY "latencyMs") AS p95, ${CACHE_COLUMNS} ${detail}
            FROM "RequestLog" ${tags} WHERE time >= ${since}
           GROUP BY 1, 2 ORDER BY 1, 2`;
      }
      return rows.map((r) => ({
        t: new Date(r.t),
        group: r.grp,
        ...(r.detail && r.detail !== r.grp ? { detail: r.detail } : {}),
        requests: Number(r.requests),
        errors: Number(r.errors),
        tokens: Number(r.tokens ?? 0),
        cost: Number(r.cost ?? 0),
        p50Ms: Number(r.p50),
        p95Ms: Number(r.p95),
        ...cacheFigures(r),
      }));
    },
  };
}
