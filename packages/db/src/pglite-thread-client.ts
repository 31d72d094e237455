/**
 * The embedded database on a thread of its own. PGlite is PostgreSQL compiled to WASM; in the gateway's process it
 * ran on the request thread, so every log batch (about 30 µs of WASM per row) and every dashboard query held up the
 * requests behind it. `PGliteThread` opens it in a worker (pglite-thread.mjs) and offers the part of PGlite's API
 * that the store uses (query, exec, transaction, close), so Prisma's PGlite adapter and the store's own SQL work
 * unchanged. Measured in docs/cpu-per-request-2026-12-07.md, section 14.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker as WorkerThread } from "node:worker_threads";
import { messages, type PGlite, type Results, type Transaction } from "@electric-sql/pglite";

/** What the store calls on PGlite, whether in this thread or behind `PGliteThread`. */
export type EmbeddedDb = Pick<PGlite, "query" | "exec" | "transaction" | "close">;

/** A message to the database's thread. */
export type ThreadCall =
  | {
      id: number;
      op: "query";
      sql: string;
      params: unknown[] | undefined;
      rowMode: "array" | "object" | undefined;
      /** Type OIDs to come back as text: the caller parses them (its parsers are functions, which cannot cross). */
      textTypes: number[];
      /** COPY … FROM '/dev/blob': the data (a Blob crosses threads as it is). */
      blob: Blob | undefined;
    }
  | { id: number; op: "exec"; sql: string }
  | { id: number; op: "close" };

type ErrorFields = Record<string, unknown> & { message: string; database: boolean };
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorFields };
type Parser = (text: string, typeId: number) => unknown;
type QueryOptions = { rowMode?: "array" | "object"; parsers?: Record<number, Parser>; blob?: Blob | File };

// Beside this module, in src/ as in dist/ (tsc copies it).
const WORKER_FILE = join(dirname(fileURLToPath(import.meta.url)), "pglite-thread.mjs");
// Taken from the runtime, not imported: Next's bundler (Turbopack), which carries a copy of this package into the
// dashboard's chunks, would otherwise try to bundle the worker's file and fail the build on its dynamic path.
const { Worker } = process.getBuiltinModule("node:worker_threads");

/** An error from the database's thread as the store expects it: a PGlite `DatabaseError` with its SQLSTATE. */
function toError(fields: ErrorFields): Error {
  const { message, database, name: _name, ...rest } = fields;
  const err = database ? new messages.DatabaseError(message, 0, "error") : new Error(message);
  return Object.assign(err, rest);
}

export class PGliteThread implements EmbeddedDb {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 0;
  private stopped: Error | null = null;
  /** Settles when the open transaction ends; calls from outside it wait, as on PGlite's one connection. */
  private transactionOpen: Promise<void> | null = null;

  private constructor(private readonly worker: WorkerThread) {
    worker.on("message", (reply: Reply) => this.settle(reply));
    // Nothing reopens it: every later call fails (the log keeps its rows in memory and its spool; /readyz fails).
    worker.on("error", (err) => {
      console.error(`[db] the embedded database's thread failed: ${err.message}`);
      this.stop(err);
    });
    worker.on("exit", (code) => this.stop(new Error(`the embedded database's thread exited (code ${code})`)));
    worker.unref(); // only calls in flight keep the process alive, as with PGlite in this thread
  }

  /** Opens PGlite on `dataDir` (an existing data folder; in memory when undefined) in a new thread. */
  static async open(dataDir: string | undefined, options: { startParams: string[] }): Promise<PGliteThread> {
    // A small young generation: the thread allocates little that lives, and its peak RSS under load was 10-15 MB
    // lower with 4 MB than with V8's default (docs/cpu-per-request-2026-12-07.md, section 14).
    const worker = new Worker(WORKER_FILE, { workerData: { dataDir, options }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the embedded database's thread exited (code ${code}) while opening`));
      worker.once("exit", onExit);
      worker.once("error", reject);
      worker.once("message", (m: { ready: boolean; error?: ErrorFields }) => {
        worker.off("exit", onExit);
        worker.off("error", reject);
        if (m.ready) resolve();
        else reject(toError(m.error ?? { message: "could not open the embedded database", database: false }));
      });
    });
    return new PGliteThread(worker);
  }

  get closed(): boolean {
    return this.stopped !== null;
  }

  // Each wait for an open transaction to end is checked again right before the call is posted, with no await in
  // between: a transaction begun in that gap would otherwise take in the call.
  async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    while (this.transactionOpen) await this.transactionOpen;
    return this.send<T>(sql, params, options);
  }

  async exec(sql: string): Promise<Results[]> {
    while (this.transactionOpen) await this.transactionOpen;
    return this.call({ op: "exec", sql }) as Promise<Results[]>;
  }

  /** BEGIN, the callback's queries, then COMMIT, or ROLLBACK when it throws; nothing else runs in between. */
  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    while (this.transactionOpen) await this.transactionOpen;
    let release!: () => void;
    this.transactionOpen = new Promise((resolve) => (release = resolve));
    let closed = false;
    const end = async (sql: "COMMIT" | "ROLLBACK") => {
      if (closed) return;
      closed = true;
      await this.call({ op: "exec", sql });
    };
    const tx = {
      query: <R>(sql: string, params?: unknown[], options?: QueryOptions) => this.send<R>(sql, params, options),
      exec: (sql: string) => this.call({ op: "exec", sql }) as Promise<Results[]>,
      sql: () => Promise.reject(new Error("tx.sql is not offered by the embedded database's thread")),
      rollback: () => end("ROLLBACK"),
      listen: () => Promise.reject(new Error("LISTEN is not offered by the embedded database's thread")),
      get closed() {
        return closed;
      },
    } as unknown as Transaction;
    try {
      await this.call({ op: "exec", sql: "BEGIN" });
      try {
        const out = await callback(tx);
        await end("COMMIT");
        return out;
      } catch (err) {
        await end("ROLLBACK").catch(() => {});
        throw err;
      }
    } finally {
      this.transactionOpen = null;
      release();
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    while (this.transactionOpen) await this.transactionOpen;
    await this.call({ op: "close" });
    this.stop(new Error("the embedded database is closed"));
  }

  /** Posts the query at once (no await before it), and parses what the caller's parsers name on the way back. */
  private send<T>(sql: string, params: unknown[] | undefined, options: QueryOptions | undefined): Promise<Results<T>> {
    const parsers = options?.parsers;
    const textTypes = parsers ? Object.keys(parsers).map(Number) : [];
    const reply = this.call({ op: "query", sql, params, rowMode: options?.rowMode, textTypes, blob: options?.blob }) as Promise<Results<T>>;
    if (!parsers) return reply;
    return reply.then((result) => {
      if (result.rows.length) parseRows(result, parsers, options?.rowMode === "array");
      return result;
    });
  }

  private call(call: DistributiveOmit<ThreadCall, "id">): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = ++this.next;
    if (this.pending.size === 0) this.worker.ref();
    this.worker.postMessage({ ...call, id });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private settle(reply: Reply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(toError(reply.error));
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
    this.worker.unref();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Applies the caller's parsers to the values its types named (they came back as text). */
function parseRows(result: Results<unknown>, parsers: Record<number, Parser>, arrays: boolean): void {
  const columns: { index: number; name: string; parse: Parser; typeId: number }[] = [];
  result.fields.forEach((field, index) => {
    const parse = parsers[field.dataTypeID];
    if (parse) columns.push({ index, name: field.name, parse, typeId: field.dataTypeID });
  });
  if (!columns.length) return;
  for (const row of result.rows as Record<string | number, unknown>[]) {
    for (const c of columns) {
      const key = arrays ? c.index : c.name;
      const value = row[key];
      if (typeof value === "string") row[key] = c.parse(value, c.typeId);
    }
  }
}
