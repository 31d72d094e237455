/**
 * The gateway: a provider registry plus one request handler for /v1 that any server can mount
 * (node:http directly for speed, or a Web Request handler for Next.js route handlers).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { GatewayError, badRequest, notFound, toGatewayError } from "./errors.js";
import type { Timeouts } from "./config/schema.js";
import { BodyCapture, type BodyCaptureOptions } from "./logging/bodies.js";
import type { Tracer } from "@opentelemetry/api";
import { recordRequestSpans } from "./telemetry/spans.js";
import type { GatewayConfig } from "./config/load.js";
import type { AdapterFactories } from "./adapters/types.js";
import { ProviderRegistry } from "./routing/registry.js";
import { json, type GatewayHttpRequest, type GatewayHttpResponse } from "./http/types.js";
import { nodeListener, type GatewayHandler } from "./http/node.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { webHandler } from "./http/web.js";
import { LogRecorder } from "./logging/recorder.js";
import type { Attempt, RoutePlan } from "./routing/router.js";
import { uuidv7 } from "./logging/ids.js";
import type { RequestLogSink } from "./logging/types.js";
import { ANONYMOUS, type AuthContext, type Authenticator } from "./auth/types.js";
import { encodeForProvider, readJsonBody } from "./routes/body.js";
import { attribute, tagsOf, TAGS_HEADER } from "./logging/attribution.js";
import { PROVIDER_HEADER, takeRoutingChoice, type RoutingPolicy } from "./routing/policy.js";
import { DEFAULT_ROUTING } from "./routing/settings.js";
import { chatCompletions } from "./routes/chat.js";
import { getModel, getProvider, listModels, listProviders } from "./routes/providers.js";
import { builtinAdapters } from "./adapters/builtin.js";
import { generateImages, serveMedia } from "./routes/images.js";
import { createEmbeddings } from "./routes/embeddings.js";
import { DEFAULT_AUDIO_UPLOAD_BYTES, speak, transcribe } from "./routes/audio.js";
import { openApiDocument } from "./openapi.js";
import { MediaStore, type MediaOptions } from "./media/store.js";
import { UpstreamClient } from "./upstream/client.js";
import { GatewayMetrics } from "./metrics.js";
import type { AddressResolver } from "./security/guarded-lookup.js";
import { scopeOf } from "./auth/scope.js";
import type { RateLimiter } from "./ratelimit/limiter.js";
import { TokenMeter } from "./ratelimit/meter.js";
import { countTokens, createMessage } from "./routes/messages.js";
import { createCompletion } from "./routes/completions.js";
import { anthropicErrorBody } from "./apis/messages/errors.js";
import { createResponse, deleteResponse, getResponse, listInputItems } from "./routes/responses.js";
import { DEFAULT_RESPONSE_RETENTION_MS, MemoryResponseStore, type ResponseStore } from "./apis/responses/store.js";
import { BudgetMeter, MemoryBudgetLedger, type BudgetLedger, type SpendSource } from "./spend/budget.js";
import { usageReport } from "./routes/usage.js";
import { BudgetAlerts } from "./spend/alerts.js";
import { formatUsd } from "./spend/price.js";
import { CACHE_HEADER, cacheScope, ResponseCache, type CacheApiSpec } from "./cache/cache.js";
import { CHAT_CACHE, MESSAGES_CACHE, RESPONSES_CACHE } from "./cache/apis.js";
import { DEFAULT_CACHE_CONFIG } from "./cache/config.js";
import { MemoryCacheStore, type CacheStore, type SemanticIndex } from "./cache/store.js";
import { embedderFor } from "./cache/embedder.js";

export interface GatewayOptions {
  config: GatewayConfig;
  /** Adapter factories by provider type; defaults to the built-in ones. */
  adapters?: AdapterFactories;
  logSink?: RequestLogSink;
  /**
   * OpenTelemetry: a tracer from the SDK the host set up (apps/web does when OTEL_EXPORTER_OTLP_ENDPOINT is set).
   * Absent: no spans, and no work for them.
   */
  tracer?: Tracer;
  /** Rows the request log has not written yet, for /metrics (interference_log_backlog_rows). */
  logBacklog?: () => number;
  /** Store request and response bodies of logged requests (off when absent): logging/bodies.ts. */
  bodies?: BodyCaptureOptions;
  /** Checks API keys for /v1; absent means open access. */
  authenticate?: Authenticator;
  /** Largest request body accepted, in bytes (default 10 MiB: room for inline images). */
  maxBodyBytes?: number;
  /** Largest audio upload to /v1/audio/transcriptions and /translations, in bytes (default 25 MiB, OpenAI's). */
  maxAudioUploadBytes?: number;
  /** Where generated images are kept for /media (default: ./.data/media, 24 h, 1 GiB). */
  media?: Partial<MediaOptions>;
  /** The gateway's public base URL for /media links (else from Host / X-Forwarded-* headers). */
  publicUrl?: string;
  /**
   * Extra readiness checks for /readyz (e.g. the database); each throws or resolves false when not ready, or
   * resolves a sentence when it is degraded but still serving (reported, without failing readiness).
   */
  readiness?: Record<string, () => Promise<boolean | string>>;
  /** Providers whose URL did not come from the config file (saved from the dashboard): they connect guarded. */
  untrustedProviders?: string[];
  /** Hosts that URLs from outside the config file (image links, dashboard providers) may reach although internal (PROVIDER_URL_ALLOWLIST). */
  urlAllowList?: string[];
  /** DNS for those URLs (tests stand in their own). */
  resolveAddress?: AddressResolver;
  /** Enforces API keys' requests and tokens per minute (AuthContext.limits). */
  rateLimiter?: RateLimiter;
  /**
   * /metrics needs `Authorization: Bearer <metricsToken>`; without a token it is refused (its labels name every
   * provider, model and key id) unless `metricsPublic` opens it (METRICS_PUBLIC=true, e.g. on a private network).
   */
  metricsToken?: string;
  metricsPublic?: boolean;
  /** The scrape's text when this registry is not the whole story (a cluster worker asks its primary for all). */
  metricsText?: () => Promise<string>;
  /** Where stored Responses-API responses live (default: in memory); the database's store serves replicas. */
  responseStore?: ResponseStore;
  /** How long stored responses are kept (default 30 days). */
  responseRetentionMs?: number;
  /** What each key or team spent, from the durable record (the request log's costs); default: nothing recorded before. */
  spendSource?: SpendSource;
  /** Enforces keys' and teams' budgets (AuthContext.budgets); default: in memory, seeded from `spendSource`. */
  budgetLedger?: BudgetLedger;
  /**
   * Soft limits: at `percent` of a key's or team's budget an alert is logged and, with `webhook`, POSTed there as JSON (a
   * URL guarded like image links: public addresses only unless allow-listed).
   */
  budgetAlerts?: { percent: number; webhook?: string };
  /**
   * Where the response cache keeps answers (default: in memory) and, for the semantic cache, prompt vectors
   * (default: in memory). The cache is on only where `config.cache` turns it on.
   */
  cacheStore?: CacheStore;
  semanticIndex?: SemanticIndex;
}

/** A route's work once the body is read and the caller authenticated. */
type RouteHandler = (req: GatewayHttpRequest, ctx: RouteContext) => Promise<GatewayHttpResponse>;
interface RouteContext {
  auth: AuthContext;
  log: LogRecorder;
  params: Record<string, string>;
}
interface Route {
  method: string;
  /** As registered, e.g. "/v1/responses/:id". */
  path: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
  /** Requests that change nothing and call no provider are not logged (listing providers, models). */
  logged: boolean;
  /** /media links are capabilities in themselves (unguessable ids), fetched by browsers without API keys. */
  authenticated: boolean;
}

export class Gateway {
  readonly registry: ProviderRegistry;
  private readonly routes: Route[] = [];
  private readonly maxBodyBytes: number;
  readonly media: MediaStore;
  readonly metrics: GatewayMetrics;
  readonly responses: ResponseStore;
  readonly budgets: BudgetLedger;
  readonly cache: ResponseCache;
  private readonly alerts: BudgetAlerts | null;
  private readonly spendSource: SpendSource;
  private readonly logSink: RequestLogSink;
  /** What an answer waits for before it ends: its log row safe from a kill (see RequestLogSink.durable). */
  private readonly logDurable = () => this.logSink.durable?.();
  /** Fetches URLs the config file did not name (image links): public addresses only unless allow-listed. */
  private readonly fetcher: UpstreamClient;

  /** The config file's global timeouts, under each provider's own. */
  get timeouts(): Timeouts | undefined {
    return this.options.config.timeouts;
  }

  constructor(private readonly options: GatewayOptions) {
    this.registry = new ProviderRegistry({ ...builtinAdapters, ...options.adapters }, options.urlAllowList);
    this.spendSource = options.spendSource ?? (async () => 0);
    this.budgets = options.budgetLedger ?? new MemoryBudgetLedger(this.spendSource);
    this.registry.replaceAll(options.config.providers, new Set(options.untrustedProviders));
    this.registry.setRouting(options.config.routing ?? DEFAULT_ROUTING);
    this.metrics = new GatewayMetrics(this.registry, options.logBacklog ? { logBacklog: options.logBacklog } : {});
    this.logSink = this.measured(this.metrics.wrap(options.tracer ? this.traced(options.tracer, options.logSink) : options.logSink));
    this.maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
    this.fetcher = new UpstreamClient({ guard: { allowList: options.urlAllowList ?? [], resolve: options.resolveAddress } });
    const alerting = options.budgetAlerts;
    this.alerts = alerting
      ? new BudgetAlerts(this.budgets, {
          percent: alerting.percent,
          notify: alerting.webhook ? (alert) => this.postAlert(alerting.webhook!, alert) : undefined,
        })
      : null;
    this.responses = options.responseStore ?? new MemoryResponseStore();
    const cacheConfig = options.config.cache ?? DEFAULT_CACHE_CONFIG;
    const memory = !options.cacheStore || !options.semanticIndex ? new MemoryCacheStore() : null;
    this.cache = new ResponseCache(
      cacheConfig,
      options.cacheStore ?? memory!,
      cacheConfig.semantic.enabled
        ? { index: options.semanticIndex ?? memory!, embed: embedderFor(this.registry, cacheConfig.semantic, this.options.config.timeouts) }
        : null,
    );
    this.media = new MediaStore({ dir: ".data/media", maxAgeMs: 24 * 3600_000, maxTotalBytes: 1024 ** 3, ...options.media });

    this.route("GET", "/v1/providers", async (_req, { auth }) => json(200, listProviders(this.registry, scopeOf(auth))), false);
    this.route("GET", "/v1/providers/:id", async (_req, { params, auth }) => json(200, getProvider(this.registry, params.id!, scopeOf(auth))), false);
    this.route("GET", "/v1/models", async (_req, { auth }) => json(200, listModels(this.registry, scopeOf(auth))), false);
    this.route("GET", "/v1/models/:id*", async (_req, { params, auth }) => json(200, getModel(this.registry, params.id!, scopeOf(auth))), false);
    const serve = { registry: this.registry, timeouts: this.options.config.timeouts };
    const chat = this.cached(CHAT_CACHE, (body, policy, req, { auth, log }, hit) => chatCompletions(serve, body, policy, auth, req, log, hit));
    this.route("POST", "/v1/chat/completions", chat);
    // gpt4free's form: the provider in the path.
    this.route("POST", "/api/:provider/chat/completions", chat);
    const responses = this.cached(RESPONSES_CACHE, (body, policy, req, { auth, log }, hit) =>
      createResponse(
        { ...serve, store: this.responses, retentionMs: this.options.responseRetentionMs ?? DEFAULT_RESPONSE_RETENTION_MS },
        body,
        policy,
        auth,
        req,
        log,
        hit,
      ),
    );
    const messages = this.cached(MESSAGES_CACHE, (body, policy, req, { auth, log }, hit) => createMessage(serve, body, policy, auth, req, log, hit));
    const tokens = this.routed((body, policy, req, { auth, log }) => countTokens(serve, body, policy, auth, req, log));
    this.route("POST", "/v1/messages", messages);
    this.route("POST", "/v1/messages/count_tokens", tokens);
    // The path form for Anthropic's clients, whose base URL has no /v1 (ANTHROPIC_BASE_URL=https://gw/api/{provider}).
    this.route("POST", "/api/:provider/messages", messages);
    this.route("POST", "/api/:provider/v1/messages", messages);
    this.route("POST", "/api/:provider/v1/messages/count_tokens", tokens);
    this.route(
      "POST",
      "/v1/completions",
      this.routed((body, policy, req, { auth, log }) => createCompletion(serve, body, policy, auth, req, log)),
    );
    this.route("POST", "/v1/responses", responses);
    this.route("POST", "/api/:provider/responses", responses);
    this.route("GET", "/v1/responses/:id/input_items", async (req, { params, auth }) => listInputItems(this.responses, params.id!, auth, req.query), false);
    this.route("GET", "/v1/responses/:id", async (_req, { params, auth }) => getResponse(this.responses, params.id!, auth), false);
    this.route("DELETE", "/v1/responses/:id", async (_req, { params, auth }) => deleteResponse(this.responses, params.id!, auth));
    const images = this.routed((body, policy, req, { auth, log }) =>
      generateImages({ ...serve, media: this.media, fetcher: this.fetcher, publicUrl: this.options.publicUrl }, req, body, policy, auth, log),
    );
    this.route(
      "POST",
      "/v1/embeddings",
      this.routed((body, policy, req, { auth, log }) => createEmbeddings(serve, req, body, policy, auth, log)),
    );
    const audio = {
      registry: this.registry,
      timeouts: this.options.config.timeouts,
      maxUploadBytes: this.options.maxAudioUploadBytes ?? DEFAULT_AUDIO_UPLOAD_BYTES,
    };
    this.route("POST", "/v1/audio/transcriptions", async (req, { auth, log }) => transcribe(audio, "transcriptions", req, auth, log));
    this.route("POST", "/v1/audio/translations", async (req, { auth, log }) => transcribe(audio, "translations", req, auth, log));
    this.route(
      "POST",
      "/v1/audio/speech",
      this.routed((body, policy, req, { auth, log }) => speak(audio, req, body, policy, auth, log)),
    );
    this.route("POST", "/v1/images/generate", images);
    this.route("POST", "/v1/images/generations", images);
    this.route("GET", "/media/:name", async (req, { params }) => serveMedia(this.media, params.name!, req), false, false);
    this.route("DELETE", "/v1/cache", async (req, { auth }) => json(200, await this.purgeCache(auth, req.query.get("namespace"))));
    this.route("GET", "/v1/usage", async (_req, { auth }) => json(200, await usageReport(this.budgets, this.spendSource, auth)), false);
    this.route("GET", "/healthz", async () => json(200, { status: "ok" }), false, false);
    this.route("GET", "/openapi.json", async () => json(200, openApiDocument()), false, false);
    this.route("GET", "/readyz", async () => this.readiness(), false, false);
    this.route("GET", "/metrics", async (req) => this.metricsResponse(req), false, false);
  }

  /** Adds a route; `:name` segments become params, and `:name*` takes the rest of the path (model ids have "/"). */
  route(method: string, path: string, handler: RouteHandler, logged = true, authenticated = true): void {
    const keys: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-z]+)(\*?)/gi, (_, k: string, rest: string) => {
        keys.push(k);
        return rest ? "(.+?)" : "([^/]+)";
      })}/?$`,
    );
    this.routes.push({ method, path, pattern, keys, handler, logged, authenticated });
  }

  /**
   * A JSON route whose body may carry a routing choice: the body is read, the choice (body, header, path or query)
   * taken off it and decoded once, here, and both handed on.
   */
  private routed(
    handler: (body: Record<string, unknown>, policy: RoutingPolicy, req: GatewayHttpRequest, ctx: RouteContext) => Promise<GatewayHttpResponse>,
  ): RouteHandler {
    return async (req, ctx) => {
      const raw = await readJsonBody(req, this.maxBodyBytes, ctx.log);
      const { body, policy } = takeRoutingChoice(raw, { header: req.headers[PROVIDER_HEADER], path: ctx.params.provider, query: req.query.get("provider") });
      ctx.log.entry.requestedProviders = policy.source;
      attribute(ctx.log.entry, body, req.headers[TAGS_HEADER]);
      return handler(body, policy, req, ctx);
    };
  }

  /**
   * A routed JSON route whose answers the response cache may keep and replay: looked up before routing (a hit is
   * served by the cache, see cache/hit.ts), labelled and kept after.
   */
  private cached(
    spec: CacheApiSpec,
    handler: (
      body: Record<string, unknown>,
      policy: RoutingPolicy,
      req: GatewayHttpRequest,
      ctx: RouteContext,
      hit: RoutePlan | null,
    ) => Promise<GatewayHttpResponse>,
  ): RouteHandler {
    return this.routed(async (body, policy, req, ctx) => {
      const opened = this.cache.open(spec, body, ctx.auth, req.headers, policy, ctx.log, req.signal);
      // Off (the usual case): no promise awaited for it.
      const ticket = opened instanceof Promise ? await opened : opened;
      if (ticket.status !== "skip") encodeForProvider(body);
      let res: GatewayHttpResponse;
      try {
        res = await handler(body, policy, req, ctx, ticket.hit);
      } catch (err) {
        // An error answer says what the cache did too (a miss, then the provider failed).
        if (err instanceof GatewayError) err.extra.headers = { ...err.extra.headers, [CACHE_HEADER]: ticket.status };
        throw err;
      }
      return ticket.settle(res, ctx.log);
    });
  }

  /**
   * A sink that gives the serving provider's router stats each finished answer's speed (output tokens a second after
   * the first token: throughput routing), then hands the entry on.
   */
  private measured(next: RequestLogSink): RequestLogSink {
    return {
      write: (e) => {
        if (e.provider && e.status === 200 && e.completionTokens && !e.cacheEntryId) {
          this.registry.get(e.provider)?.health.stats.finished(e.completionTokens, e.latencyMs - (e.ttftMs ?? 0));
        }
        next.write(e);
      },
      flush: () => next.flush?.() ?? Promise.resolve(),
      durable: () => next.durable?.(),
    };
  }

  /** A sink that records each finished request's spans, then hands the entry on. */
  private traced(tracer: Tracer, next: RequestLogSink | undefined): RequestLogSink {
    const systemOf = (id: string) => this.registry.get(id)?.config.type;
    return {
      write: (e) => {
        try {
          recordRequestSpans(tracer, e, { headers: e.traceHeaders ?? {}, systemOf });
        } catch (err) {
          console.warn(`[interference] tracing: ${(err as Error).message}`);
        }
        next?.write(e);
      },
      flush: () => next?.flush?.() ?? Promise.resolve(),
      durable: () => next?.durable?.(),
    };
  }

  /** Whether a path belongs to the gateway rather than the web app. */
  handles(path: string): boolean {
    return (
      path === "/v1" ||
      path.startsWith("/v1/") ||
      path.startsWith("/media/") ||
      path === "/healthz" ||
      path === "/readyz" ||
      path === "/metrics" ||
      path === "/openapi.json" ||
      PROVIDER_PATH.test(path)
    );
  }

  /** Answers one request; never throws. */
  readonly handle: GatewayHandler = async (req) => {
    const match = this.match(req);
    if (!match) return this.notFound(req);
    if ("allowed" in match) {
      const e = new GatewayError(405, "invalid_request_error", "method_not_allowed", `${req.method} is not allowed on ${req.path}; use ${match.allowed}.`);
      return errorResponse(req.path, e, uuidv7(), { allow: match.allowed });
    }
    const { route, params } = match;
    const log = new LogRecorder(route.logged ? this.logSink : undefined, req.method, req.path, route.keys.length ? route.path : undefined);
    if (this.options.tracer && req.headers.traceparent) log.entry.traceHeaders = { traceparent: req.headers.traceparent, tracestate: req.headers.tracestate };
    // Tags on any logged route (a JSON route adds its metadata's, and the end user, once it has read the body).
    const tagsHeader = req.headers[TAGS_HEADER];
    if (tagsHeader) log.entry.tags = tagsOf(tagsHeader);
    const capture = route.logged && this.options.bodies ? new BodyCapture(this.options.bodies, log.entry.id, log.entry.time) : null;
    if (capture) {
      const original = req;
      req = {
        ...req,
        readBody: async (limit) => {
          const body = await original.readBody(limit);
          capture.setRequest(body, req.headers["content-type"]);
          return body;
        },
      };
    }
    try {
      const auth = req.principal ?? (this.options.authenticate && route.authenticated ? await this.options.authenticate(req.headers) : ANONYMOUS);
      log.entry.apiKeyId = auth.keyId; // before the limiter, so a refused request's row names its key
      const limits = auth.limits;
      if (auth.keyId && limits && (limits.rpm || limits.tpm) && this.options.rateLimiter) {
        await this.options.rateLimiter.check(auth.keyId, limits);
        if (limits.tpm) log.meter = new TokenMeter(this.options.rateLimiter, auth.keyId, limits.tpm);
      }
      log.entry.teamId = auth.team?.id ?? null;
      if (auth.keyId && auth.budgets?.length) {
        const { keyId, budgets } = auth;
        const alerts = this.alerts;
        log.budget = new BudgetMeter(this.budgets, budgets, alerts ? async (counted) => void (await alerts.check(keyId, counted)) : undefined);
      }
      const res = await route.handler(req, { auth, log, params });
      // A JSON answer's cost is known once it is logged; a stream's comes in its final usage event instead.
      const cost = log.entry.cost;
      // The log row's id, as OpenAI's x-request-id: what a client quotes to find its request in the logs.
      if (route.logged || cost !== null) {
        res.headers = {
          ...res.headers,
          ...(route.logged ? { "x-request-id": log.entry.id, ...attemptsHeader(log.entry.attempts) } : {}),
          ...(cost !== null ? { "x-interference-cost": formatUsd(cost) } : {}),
        };
      }
      return capture ? captured(capture, res) : res;
    } catch (err) {
      const e = toGatewayError(err);
      if (e.status === 500) console.error("[interference] internal error:", err);
      log.finish(e.status, e.message);
      const res = errorResponse(
        req.path,
        e,
        log.entry.id,
        route.logged ? { ...e.extra.headers, "x-request-id": log.entry.id, ...attemptsHeader(log.entry.attempts) } : e.extra.headers,
      );
      return capture ? captured(capture, res) : res;
    }
  };

  /** DELETE /v1/cache: the caller's own cached answers (its key's, or its team's where the cache is shared), or one namespace's. */
  private async purgeCache(auth: AuthContext, namespace: string | null): Promise<Record<string, unknown>> {
    if (namespace !== null && namespace.length > 128) throw badRequest("invalid_value", "namespace must be at most 128 characters", "namespace");
    const filter = { scope: cacheScope(auth, this.cache.config.scope), ...(namespace !== null ? { namespace } : {}) };
    const deleted = (await this.cache.store.purge(filter)) + ((await this.cache.semantic?.index.purge(filter)) ?? 0);
    return { object: "cache.purge", namespace, deleted };
  }

  /** One alert to the webhook: JSON, through the guarded client, 10 s at most, the answer read up to its cap. */
  private async postAlert(url: string, alert: unknown): Promise<void> {
    const res = await this.fetcher.send({
      url,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(10_000),
      timeouts: { connect_ms: 5000, first_byte_ms: 10_000, idle_ms: 10_000 },
    });
    await res.body.dump({ limit: 64 * 1024 }); // the answer is not needed: read off (bounded) to free the socket
  }

  private match(req: GatewayHttpRequest): { route: Route; params: Record<string, string> } | { allowed: string } | null {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.pattern.exec(req.path);
      if (!m) continue;
      if (route.method !== req.method && !(route.method === "GET" && req.method === "HEAD")) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = safeDecode(m[i + 1]!)));
      return { route, params };
    }
    return allowed.length ? { allowed: [...new Set(allowed)].join(", ") } : null;
  }

  /**
   * Shutting down: /readyz answers 503 from now on, so load balancers and Kubernetes stop sending new requests,
   * while the requests in flight (and any that still arrive) are served.
   */
  drain(): void {
    this.draining = true;
  }
  private draining = false;

  /** Ready when every enabled provider is (a local model has loaded) and every extra check passes; not while draining. */
  private async readiness(): Promise<GatewayHttpResponse> {
    if (this.draining) return json(503, { status: "draining", checks: {} });
    const checks: Record<string, string> = {};
    for (const p of this.registry.list()) {
      if (!p.config.enabled || !p.adapter.ready) continue;
      checks[`provider:${p.config.id}`] = p.adapter.ready() ? "ok" : (p.adapter.notReadyReason?.() ?? "not ready");
    }
    const degraded: string[] = [];
    for (const [name, check] of Object.entries(this.options.readiness ?? {})) {
      try {
        const result = await check();
        if (typeof result === "string") degraded.push(name);
        checks[name] = typeof result === "string" ? `degraded: ${result}` : result ? "ok" : "not ready";
      } catch (err) {
        checks[name] = `failed: ${(err as Error).message}`;
      }
    }
    const ready = Object.entries(checks).every(([name, v]) => v === "ok" || degraded.includes(name));
    return json(ready ? 200 : 503, { status: ready ? (degraded.length ? "degraded" : "ready") : "not ready", checks });
  }

  private async metricsResponse(req: GatewayHttpRequest): Promise<GatewayHttpResponse> {
    const token = this.options.metricsToken;
    if (!token && !this.options.metricsPublic) {
      const e = new GatewayError(
        403,
        "permission_error",
        "metrics_disabled",
        "GET /metrics is closed: set METRICS_TOKEN (scrapers send it as a bearer token), or METRICS_PUBLIC=true.",
      );
      return json(403, e.toBody());
    }
    if (token && !sameSecret(req.headers.authorization ?? "", `Bearer ${token}`)) {
      return json(401, new GatewayError(401, "authentication_error", "invalid_metrics_token", "GET /metrics needs the metrics token.").toBody());
    }
    let text: string;
    try {
      text = this.options.metricsText ? await this.options.metricsText() : await this.metrics.registry.metrics();
    } catch (err) {
      // Under WORKERS=N the primary gathers every worker's figures; a scrape it cannot answer is retried, not a bug.
      const message = `The metrics could not be gathered: ${(err as Error).message}.`;
      return json(503, new GatewayError(503, "server_error", "metrics_unavailable", message).toBody());
    }
    return { status: 200, headers: { "content-type": this.metrics.registry.contentType }, body: text };
  }

  private notFound(req: GatewayHttpRequest): GatewayHttpResponse {
    return errorResponse(req.path, notFound("unknown_route", `Unknown route: ${req.method} ${req.path}`), uuidv7());
  }

  /** A node:http request listener for the gateway's routes. */
  nodeListener() {
    const inner = nodeListener(this.handle, this.logDurable);
    const metrics = this.metrics;
    return (req: IncomingMessage, res: ServerResponse): void => {
      // In flight until the response is done (a stream's last chunk) or the client has gone.
      metrics.inFlight++;
      res.once("close", () => void metrics.inFlight--);
      inner(req, res);
    };
  }

  /** A Web `Request → Response` handler for the same routes (Next.js route handlers). */
  webHandler() {
    return webHandler(this.handle, this.logDurable);
  }

  /** A Web handler whose requests are for `principal`: for in-process callers that authenticated the person themselves. */
  webHandlerAs(principal: AuthContext) {
    return webHandler((req) => this.handle({ ...req, principal }), this.logDurable);
  }

  async close(): Promise<void> {
    await this.logSink.flush?.();
    this.media.close();
    await this.fetcher.close();
    await this.registry.close();
  }
}

/** `/api/{provider}/chat/completions`, `…/responses`, `…/messages` (gpt4free's form); other /api/ paths are the dashboard's. */
const PROVIDER_PATH = /^\/api\/[^/]+\/(chat\/completions|responses|messages|v1\/messages|v1\/messages\/count_tokens)\/?$/;

const NOT_HEADER_SAFE = /[^\x20-\x7e]/;
const NOT_HEADER_SAFE_ALL = /[^\x20-\x7e]/g;

/** Longest a reason is in the attempts header: upstream error texts can be long, and proxies cap header sizes. */
const HEADER_REASON_CHARS = 160;

/**
 * `x-interference-attempts`: every provider the router considered, as JSON (id, outcome, status, latency, and why
 * it was chosen or skipped). Non-ASCII is escaped, so the value is always a valid header. When the configured
 * fallback (`routing.fallback`) served, `x-interference-fallback` names it.
 */
export function attemptsHeader(attempts: readonly Attempt[]): Record<string, string> {
  if (!attempts.length) return {};
  const fallback = attempts.find((a) => a.fallback && a.outcome === "served");
  const rows = attempts.map((a) => {
    const why = a.outcome === "skipped" ? a.reason : a.chosen;
    return {
      provider: a.provider,
      outcome: a.outcome,
      ...(a.status !== undefined ? { status: a.status } : {}),
      ...(a.latency_ms !== undefined ? { latency_ms: a.latency_ms } : {}),
      ...(why ? { why: why.length > HEADER_REASON_CHARS ? `${why.slice(0, HEADER_REASON_CHARS)}…` : why } : {}),
      ...(a.outcome === "failed" && a.reason ? { error: a.reason.slice(0, HEADER_REASON_CHARS) } : {}),
      ...(a.fallback ? { fallback: true } : {}),
    };
  });
  const text = JSON.stringify(rows);
  // Almost always plain ASCII already: the escaping pass only when it is needed.
  return {
    "x-interference-attempts": NOT_HEADER_SAFE.test(text)
      ? text.replace(NOT_HEADER_SAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      : text,
    ...(fallback ? { "x-interference-fallback": fallback.provider } : {}),
  };
}

/** Anthropic's Messages routes (and gpt4free's /api/{provider}/messages) answer errors in Anthropic's shape. */
const ANTHROPIC_PATH = /^\/(v1|api(\/[^/]*)?(\/v1)?)\/messages(\/|$)/;

/** An error in the shape of the API that was called, with the request's id (the log row's) to quote to an admin. */
/** The response with its body copied to the capture: whole now, or a stream as it is sent. */
function captured(capture: BodyCapture, res: GatewayHttpResponse): GatewayHttpResponse {
  const type = res.headers["content-type"];
  if (res.body !== undefined && typeof res.body !== "string" && !Buffer.isBuffer(res.body)) return { ...res, body: capture.tee(res.body, type) };
  capture.setResponse(res.body as string | Buffer | undefined, type);
  capture.write();
  return res;
}

function errorResponse(path: string, e: GatewayError, requestId: string, headers: Record<string, string> = {}): GatewayHttpResponse {
  if (ANTHROPIC_PATH.test(path)) return json(e.status, anthropicErrorBody(e, requestId), { ...headers, "request-id": requestId });
  return json(e.status, e.toBody(), headers);
}

/** Compares in constant time (over digests, so lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash("sha256").update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}
