/**
 * Opens the store: PGlite (embedded PostgreSQL in WASM, a folder on disk) by default, PostgreSQL when
 * DATABASE_URL is a postgres:// URL. Migrations are applied before the store is handed out.
 */
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.js";
import { apiKeyStore, type CachedApiKeyStore } from "./api-keys.js";
import { bodyBatchInsert, jsonBatchInsert, LogWriter, logStore, pgliteCopyInsert, recoverSpool, type LogWriterOptions } from "./logs.js";
import type { RequestBodies } from "@interference/core";
import { migrate } from "./migrate.js";
import { openPGliteThread, PACKAGE_DIR } from "./pglite.js";
import type { PGliteThread } from "./pglite-thread-client.js";
import { providerStore } from "./providers.js";
import { cacheSwitchStore, settingsStore } from "./settings.js";
import { routingStore } from "./routing.js";
import { sessionStore } from "./sessions.js";
import { userStore } from "./users.js";
import { auditStore } from "./audit.js";
import { alertStore } from "./alerts.js";
import { responseStore } from "./responses.js";
import { sqlRunner } from "./sql.js";
import { teamStore } from "./teams.js";
import type { Store } from "./store.js";
import type { SemanticIndex } from "@interference/core";
import { DatabaseCacheStore, openSemanticIndex } from "./cache.js";

/** prisma/migrations, next to src/ and dist/ alike. */
export const MIGRATIONS_DIR = join(PACKAGE_DIR, "prisma", "migrations");

export interface OpenStoreOptions {
  /** `postgres://…` / `postgresql://…`, or `pglite:<folder>` (`pglite:memory:` for a throwaway database). */
  url: string;
  logs?: LogWriterOptions;
}

export interface OpenedStore extends Store {
  kind: "pglite" | "postgresql";
  apiKeys: CachedApiKeyStore;
  logWriter: LogWriter;
  prisma: PrismaClient;
  /** The response cache's exact store, for a gateway without Redis. */
  cache: DatabaseCacheStore;
  /** The semantic cache's index: pgvector where the database has it, else usearch in process. */
  semanticIndex(prefer?: "pgvector" | "usearch"): Promise<SemanticIndex>;
  /** True when the database answers (for /readyz). */
  ping(): Promise<boolean>;
}

/** The embedded default: `<root>/.data/db`. */
export function defaultDatabaseUrl(root: string): string {
  return `pglite:${join(root, ".data", "db")}`;
}

/** The URL with any password hidden, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const { url } = options;
  let pglite: PGliteThread | null = null;
  let prisma: PrismaClient;
  let kind: OpenedStore["kind"];
  if (url.startsWith("pglite:")) {
    pglite = await openPGliteThread(url.slice("pglite:".length));
    // The adapter calls query, exec and transaction, which the thread's client offers (pglite-thread-client.ts).
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite as unknown as PGlite) });
    kind = "pglite";
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    // A database that stops answering must fail lookups in seconds (they fall back to the last known state), not hang.
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, keepAlive: true }) });
    kind = "postgresql";
  } else {
    throw new Error(`DATABASE_URL must be postgres://… or pglite:<folder>, not ${redactUrl(url)}`);
  }

  try {
    await migrate(prisma, MIGRATIONS_DIR);
  } catch (err) {
    await prisma.$disconnect().catch(() => {});
    await pglite?.close().catch(() => {});
    throw err;
  }

  const insert = pglite ? pgliteCopyInsert(pglite) : jsonBatchInsert(prisma);
  // Rows a killed predecessor left in the spool go in first (those it had written are skipped).
  if (options.logs?.spoolDir) {
    const recovered = await recoverSpool(options.logs.spoolDir, insert);
    if (recovered) console.log(`[db] request log: ${recovered} row(s) recovered from the spool (${options.logs.spoolDir})`);
  }
  const logWriter = new LogWriter(insert, options.logs);
  const bodyWriter = new LogWriter<RequestBodies>(bodyBatchInsert(prisma), { batchSize: 100, maxPending: 1000 });
  const apiKeys = apiKeyStore(prisma);
  const sql = sqlRunner(prisma, pglite);
  const cache = new DatabaseCacheStore(prisma, kind, sql);
  let closed = false;
  return {
    kind,
    prisma,
    logWriter,
    providers: providerStore(prisma),
    apiKeys,
    teams: teamStore(prisma, () => apiKeys.invalidate()),
    logs: logStore(prisma, logWriter, bodyWriter),
    settings: settingsStore(prisma),
    routing: routingStore(settingsStore(prisma)),
    sessions: sessionStore(prisma),
    users: userStore(prisma),
    audit: auditStore(prisma),
    alerts: alertStore(prisma),
    responses: responseStore(sql),
    cacheSwitches: cacheSwitchStore(settingsStore(prisma)),
    cache,
    semanticIndex: (prefer) => openSemanticIndex(prisma, prefer, sql),
    async ping() {
      try {
        await prisma.$queryRawUnsafe("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await logWriter.flush();
        await bodyWriter.flush();
        await apiKeys.close();
        await cache.close();
      } finally {
        await prisma.$disconnect();
        await pglite?.close(); // PrismaPGlite does not close the PGlite it was given
      }
    },
  };
}
