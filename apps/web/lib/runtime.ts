/**
 * The one gateway instance of this process, shared by the custom server (the /v1 hot path) and Next.js
 * (route handlers under `next dev`, the admin pages). Kept on globalThis because Next loads its own module copies.
 */
import { adminPasswordHash } from "@/lib/admin/session";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  createGateway,
  defaultLocalProvider,
  loadConfigFile,
  DEFAULT_MODEL_FILE,
  DEFAULT_EMBEDDING_MODEL_FILE,
  DEFAULT_STT_MODEL_DIR,
  MemoryBudgetLedger,
  MemoryRateLimiter,
  parseAllowList,
  providerSecrets,
  RedisBus,
  RedisBudgetLedger,
  RedisCacheStore,
  RedisRateLimiter,
  DEFAULT_ROUTING,
  routingConfig,
  routingSettings,
  shareMetricsWithPrimary,
  type BudgetLedger,
  type RateLimiter,
  type SpendSource,
  type Gateway,
  type GatewayConfig,
  type ProviderConfig,
} from "@interference/core";
import { createAuthenticator, defaultDatabaseUrl, openStore, redactUrl, type OpenedStore } from "@interference/db";
import { attachCluster } from "./cluster";
import { startTracing } from "./telemetry";
import { AlertChecker } from "./alerts/checker";
import { metricsFromPrimary, workerSlot } from "./workers";

export interface Runtime {
  gateway: Gateway;
  config: GatewayConfig;
  store: OpenedStore;
  /**
   * Whether a provider's URL came from the config file (the file names this id with this base_url). Providers
   * whose URL came from the dashboard connect through the URL guard.
   */
  trustedUrl(config: ProviderConfig): boolean;
  /** Where dashboard-set local model paths must point (MODELS_DIR, default <repo>/models). */
  modelsDir: string;
  /** Call after creating or revoking an API key: other replicas drop their cached lookups. */
  keysChanged(revokedId?: string): void;
  /** The response cache's per-model switches changed here: other replicas reload them. */
  cacheSwitchesChanged(): void;
  /** The share of a budget (percent) at which a key's budget alerts (BUDGET_ALERT_PERCENT, default 80). */
  budgetAlertPercent: number;
  /** Whether request and response bodies are stored (LOG_BODIES=true). */
  storesBodies: boolean;
  close(): Promise<void>;
}

const KEY = Symbol.for("interference.runtime");
type Holder = { [KEY]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const g = globalThis as Holder;
  return (g[KEY] ??= createRuntime(process.env));
}

async function createRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const configPath = resolve(/*turbopackIgnore: true*/ process.cwd(), env.INTERFERENCE_CONFIG ?? "interference.yaml");
  const config = await loadConfigFile(configPath, env);
  if (config.source) {
    console.log(`[interference] config: ${config.source} (${config.providers.length} provider(s))`);
  } else {
    // No config file: serve offline with the embedded model (fetched by scripts/setup.sh).
    const modelPath = env.INTERFERENCE_MODEL_PATH ?? join(repoRoot(), "models", DEFAULT_MODEL_FILE);
    const embeddingModelPath = env.INTERFERENCE_EMBEDDING_MODEL_PATH ?? join(repoRoot(), "models", DEFAULT_EMBEDDING_MODEL_FILE);
    const sttModelPath = env.INTERFERENCE_STT_MODEL_PATH ?? join(repoRoot(), "models", DEFAULT_STT_MODEL_DIR);
    config.providers = [defaultLocalProvider(modelPath, { embeddingModelPath, sttModelPath, sttPythonPath: join(repoRoot(), ".stt-python") })];
    console.log(
      `[interference] no config at ${configPath}: serving the embedded models (provider "local": ${modelPath}, ${embeddingModelPath}, ${sttModelPath})`,
    );
  }
  // Providers live in the database: the file seeds them, dashboard changes persist (see packages/db/src/providers.ts).
  const databaseUrl = env.DATABASE_URL || defaultDatabaseUrl(repoRoot());
  const dbStarted = performance.now();
  // LOG_SPOOL_DIR (one folder per replica): log rows are also appended there before they are answered for, so a
  // replica killed outright loses none; the next start writes what it left. On by default beside the embedded
  // database's own folder (.data/), which a fresh install has; "off" turns it off.
  const sharedSpool = env.LOG_SPOOL_DIR === "off" ? undefined : env.LOG_SPOOL_DIR || (env.DATABASE_URL ? undefined : join(repoRoot(), ".data", "log-spool"));
  // Under WORKERS=N each worker spools into its slot's own folder, which its replacement replays after a crash.
  const slot = workerSlot(env);
  const spoolDir = sharedSpool && slot !== null ? join(sharedSpool, `worker-${slot}`) : sharedSpool;
  if (!spoolDir && env.LOG_SPOOL_DIR !== "off" && !databaseUrl.startsWith("pglite:")) {
    console.warn(
      "[interference] LOG_SPOOL_DIR is not set: log rows still in a write batch are lost if this replica is killed (SIGKILL, out of memory). Set it to a folder of this replica's own in production.",
    );
  }
  const store = await openStore({ url: databaseUrl, ...(spoolDir ? { logs: { spoolDir } } : {}) });
  const fileUrls = new Map(config.providers.map((p) => [p.id, p.base_url]));
  const trustedUrl = (p: ProviderConfig) => p.type === "local" || fileUrls.get(p.id) === p.base_url;
  console.log(`[interference] database: ${store.kind} ${redactUrl(databaseUrl)} (ready in ${Math.round(performance.now() - dbStarted)} ms)`);
  config.providers = (await store.providers.syncFromConfig(config.providers)).map((r) => r.config);
  // The routing settings too: the file's section seeds them, the dashboard's edits stand until the file changes.
  config.routing = routingSettings(await store.routing.syncFromConfig(routingConfig(config.routing ?? DEFAULT_ROUTING)));
  // At start-up, not at the first sign-in: a generated admin password is printed now, where the admin looks.
  await adminPasswordHash(store, env);
  const untrustedProviders = config.providers.filter((p) => !trustedUrl(p)).map((p) => p.id);

  // Several replicas share rate limits and changes through Redis; one replica keeps them in memory.
  let bus: RedisBus | null = null;
  let rateLimiter: RateLimiter = new MemoryRateLimiter();
  let redisLimiter: RedisRateLimiter | null = null;
  const budgetAlertPercent = Math.min(100, Math.max(1, numberFrom(env.BUDGET_ALERT_PERCENT) ?? 80));
  // Budgets count from the request log's costs (durable), on every replica alike.
  const spendSource: SpendSource = (scope, since) => store.logs.spend(scope, since);
  let budgetLedger: BudgetLedger = new MemoryBudgetLedger(spendSource);
  if (env.REDIS_URL) {
    const redis = { url: env.REDIS_URL, prefix: env.REDIS_PREFIX || "interference:" };
    bus = new RedisBus(redis);
    rateLimiter = redisLimiter = new RedisRateLimiter(redis);
    budgetLedger = new RedisBudgetLedger(redis, spendSource);
    const subscribed = await Promise.race([
      bus.ready().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref()),
    ]);
    console.log(`[interference] redis: ${redactUrl(env.REDIS_URL)} ${subscribed ? "(cluster sync on)" : "(not reachable yet: retrying in the background)"}`);
  }
  // The response cache (the config's `cache:`): answers in Redis when replicas share one, else in the database;
  // the semantic cache's vectors in the database (pgvector where it has it, else usearch in each process).
  const cacheSettings = config.cache;
  const cacheStore = env.REDIS_URL
    ? new RedisCacheStore({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX || "interference:" }, cacheSettings?.max_entries)
    : store.cache;
  const semanticIndex = cacheSettings?.semantic.enabled ? await store.semanticIndex() : undefined;
  if (cacheSettings?.enabled || Object.values(cacheSettings?.models ?? {}).some(Boolean)) {
    console.log(
      `[interference] response cache: on (${cacheStore.kind}${semanticIndex ? `, semantic: ${semanticIndex.kind} at ${cacheSettings!.semantic.threshold}` : ""}), ttl ${cacheSettings!.ttl_s} s, per ${cacheSettings!.scope}`,
    );
  }
  // Request and response bodies: off unless LOG_BODIES=true; cut at LOG_BODY_MAX_CHARS, kept LOG_BODY_RETENTION_DAYS.
  const bodyRetentionMs = (numberFrom(env.LOG_BODY_RETENTION_DAYS) ?? 7) * 86_400_000;
  const storeBodies = env.LOG_BODIES === "true";
  const tracing = await startTracing(env);
  const gateway: Gateway = createGateway({
    config,
    logSink: store.logs.sink,
    ...(tracing ? { tracer: tracing.tracer } : {}),
    logBacklog: () => store.logWriter.pendingCount,
    ...(storeBodies
      ? {
          bodies: {
            sink: store.logs.bodies.sink,
            maxChars: numberFrom(env.LOG_BODY_MAX_CHARS) ?? 32_768,
            secrets: () => gateway.registry.list().flatMap((p) => providerSecrets(p.config)),
          },
        }
      : {}),
    authenticate: createAuthenticator(store.apiKeys, { require: env.REQUIRE_API_KEY === "true" }),
    rateLimiter,
    spendSource,
    budgetLedger,
    // Soft limits: logged, and POSTed to BUDGET_ALERT_WEBHOOK when set (guarded like every outside URL).
    budgetAlerts: { percent: budgetAlertPercent, webhook: env.BUDGET_ALERT_WEBHOOK || undefined },
    readiness: {
      // Unreachable is degraded, not down: keys are served from their last known state and log rows wait in
      // memory, so taking every replica out of a load balancer would only turn an outage into a total one.
      database: async () => {
        if (await store.ping()) return true;
        const { knownKeys } = store.apiKeys.health();
        return `database unreachable: API keys served from their last known state (${knownKeys} active keys known), ${store.logWriter.pendingCount} log rows waiting`;
      },
      ...(redisLimiter
        ? { redis: async () => (redisLimiter.degraded ? "redis unreachable: rate limits and budgets are counted on each replica alone" : true) }
        : {}),
    },
    maxBodyBytes: numberFrom(env.MAX_BODY_BYTES),
    maxAudioUploadBytes: numberFrom(env.AUDIO_MAX_UPLOAD_MB) !== undefined ? numberFrom(env.AUDIO_MAX_UPLOAD_MB)! * 1024 * 1024 : undefined,
    metricsToken: env.METRICS_TOKEN || undefined,
    metricsPublic: env.METRICS_PUBLIC === "true",
    ...(slot !== null ? { metricsText: metricsFromPrimary() } : {}),
    urlAllowList: parseAllowList(env.PROVIDER_URL_ALLOWLIST),
    untrustedProviders,
    publicUrl: env.PUBLIC_URL || undefined,
    // Stored Responses-API responses live in the database, so previous_response_id works on every replica.
    responseStore: store.responses,
    responseRetentionMs: (numberFrom(env.RESPONSES_RETENTION_DAYS) ?? 30) * 24 * 3600_000,
    cacheStore,
    ...(semanticIndex ? { semanticIndex } : {}),
    media: {
      dir: env.MEDIA_DIR ?? join(repoRoot(), ".data", "media"),
      maxAgeMs: (numberFrom(env.MEDIA_MAX_AGE_HOURS) ?? 24) * 3600_000,
      maxTotalBytes: (numberFrom(env.MEDIA_MAX_TOTAL_MB) ?? 1024) * 1024 * 1024,
    },
  });
  // The dashboard's per-model cache switches, over the file's.
  gateway.cache.setModelSwitches(await store.cacheSwitches.get());
  if (bus) attachCluster(gateway, store, bus, trustedUrl);
  if (slot !== null) shareMetricsWithPrimary(gateway.metrics.registry);
  // Stored bodies go after their retention (also when storing was turned off since), and audit rows after theirs
  // (AUDIT_RETENTION_DAYS, default 365), checked hourly.
  const auditRetentionMs = Math.max(1, numberFrom(env.AUDIT_RETENTION_DAYS) ?? 365) * 86_400_000;
  const prune = (what: string, work: () => Promise<number>) =>
    void work().then(
      (n) => n && console.log(`[interference] ${what}: ${n} past their retention deleted`),
      (err: unknown) => console.warn(`[interference] ${what}: purge failed: ${(err as Error).message}`),
    );
  const purgeBodies = () => {
    prune("request bodies", () => store.logs.bodies.purge(new Date(Date.now() - bodyRetentionMs)));
    prune("audit log rows", () => store.audit.prune(new Date(Date.now() - auditRetentionMs)));
  };
  purgeBodies();
  // Alert rules set on the dashboard, checked here as on every replica (the database lets one deliver each change).
  const alerts = new AlertChecker(store, gateway, env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, "") : null);
  alerts.start(Math.max(1, numberFrom(env.ALERT_CHECK_SECONDS) ?? 30) * 1000);
  const purgeTimer = setInterval(purgeBodies, 3_600_000);
  purgeTimer.unref();
  if (storeBodies) console.log(`[interference] request and response bodies are stored (LOG_BODIES), kept ${bodyRetentionMs / 86_400_000} days`);
  return {
    gateway,
    config,
    store,
    trustedUrl,
    modelsDir: env.MODELS_DIR || join(repoRoot(), "models"),
    keysChanged: (revoked) => bus?.publish({ type: "keys", ...(revoked ? { revoked } : {}) }),
    cacheSwitchesChanged: () => bus?.publish({ type: "cache" }),
    budgetAlertPercent,
    storesBodies: storeBodies,
    async close() {
      clearInterval(purgeTimer);
      await step("alerts", () => alerts.stop(), 5_000);
      // Each step bounded and reported, so a stuck dependency shows in the log instead of hanging the shutdown.
      await step("gateway", () => gateway.close(), 10_000);
      await step("database (request log flushed)", () => store.close(), 30_000);
      if (tracing) await step("tracing (spans sent)", () => tracing.shutdown(), 5_000);
      await step(
        "redis",
        async () => {
          await bus?.close();
          await rateLimiter.close?.();
          await budgetLedger.close?.();
          if (cacheStore !== store.cache) await cacheStore.close?.();
        },
        3_000,
      );
    },
  };
}

async function step(name: string, fn: () => Promise<void>, limitMs: number): Promise<void> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    fn().then(
      () => "closed",
      (err: unknown) => `failed: ${err instanceof Error ? err.message : err}`,
    ),
    new Promise<string>((r) => (timer = setTimeout(() => r(`still busy after ${limitMs} ms: moving on`), limitMs))),
  ]);
  clearTimeout(timer);
  console.log(`[interference] ${name}: ${outcome} (${Math.round(performance.now() - t0)} ms)`);
}

/** The monorepo's root (where pnpm-workspace.yaml is), found from the working directory; else the working directory. */
function repoRoot(): string {
  let dir = process.cwd();
  while (true) {
    if (existsSync(join(/*turbopackIgnore: true*/ dir, "pnpm-workspace.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function numberFrom(v: string | undefined): number | undefined {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n : undefined;
}
