/**
 * The response cache on the request path. `open` decides, before routing, whether a request may use the cache and
 * looks it up (exact, then semantic); the route serves a hit through `hitPlan` (cache/hit.ts) and anything else as
 * usual; `settle` labels the answer and, on a miss, keeps a complete answer once it has been sent.
 */
import type { z } from "zod";
import { GatewayError, badRequest } from "../errors.js";
import type { AuthContext } from "../auth/types.js";
import { scopeOf } from "../auth/scope.js";
import type { CanonicalRequest } from "../canonical/types.js";
import type { GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import { uuidv7 } from "../logging/ids.js";
import type { RoutePlan } from "../routing/router.js";
import type { RoutingPolicy } from "../routing/policy.js";
import { validate } from "../routes/body.js";
import { captureStream } from "./capture.js";
import { chatAnswer, messagesAnswer, responsesAnswer, type CachedApi } from "./answers.js";
import type { CacheConfig } from "./config.js";
import { cacheKey, semanticKey, type KeyInput } from "./key.js";
import { hitPlan } from "./hit.js";
import { compatiblePrompts } from "./semantic-guard.js";
import { unit, type CacheEntry, type CacheStore, type SemanticIndex } from "./store.js";

/** One public API as the cache sees it: its body's schema, its decoder, and its answers'. */
export interface CacheApiSpec {
  api: CachedApi;
  schema: z.ZodType<any>;
  decode(body: any): CanonicalRequest;
  translatedFields: ReadonlySet<string>;
}

/** Text → vector (the embedded MiniLM, or a configured embedding provider). */
export type Embedder = (text: string, signal: AbortSignal) => Promise<number[]>;

export const CACHE_HEADER = "x-interference-cache";

/** How many of the closest stored prompts a semantic lookup weighs. */
const SEMANTIC_CANDIDATES = 4;

/** The per-request choice in the body: `cache: false`, or `cache: {ttl_s, namespace}`. */
interface RequestChoice {
  off: boolean;
  ttlS?: number;
  namespace: string;
}

const NO_CHOICE: RequestChoice = { off: false, namespace: "" };

/** Takes the body's `cache` field off it (no provider must see it), checked. */
function takeRequestChoice(raw: Record<string, unknown>): RequestChoice {
  const value = raw.cache;
  delete raw.cache;
  if (value === false) return { off: true, namespace: "" };
  if (value === true || value == null) return NO_CHOICE;
  if (typeof value !== "object" || Array.isArray(value)) throw badRequest("invalid_type", "cache must be false or an object {ttl_s, namespace}", "cache");
  const { ttl_s, namespace, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown) throw badRequest("unknown_parameter", `cache.${unknown} is not a cache setting (ttl_s and namespace are)`, `cache.${unknown}`);
  if (ttl_s !== undefined && (!Number.isInteger(ttl_s) || (ttl_s as number) < 1 || (ttl_s as number) > 30 * 86_400)) {
    throw badRequest("invalid_value", "cache.ttl_s must be a whole number of seconds from 1 to 2592000 (30 days)", "cache.ttl_s");
  }
  if (namespace !== undefined && (typeof namespace !== "string" || namespace.length > 128)) {
    throw badRequest("invalid_value", "cache.namespace must be a string of at most 128 characters", "cache.namespace");
  }
  return { off: false, ttlS: ttl_s as number | undefined, namespace: (namespace as string | undefined) ?? "" };
}

/** `Cache-Control: no-cache` (do not read, still store) and `no-store` (neither). */
function cacheControl(header: string | undefined): { noCache: boolean; noStore: boolean } {
  if (!header) return { noCache: false, noStore: false };
  const directives = header
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  return { noCache: directives.includes("no-cache"), noStore: directives.includes("no-store") };
}

/** Whose answers a request may reuse. */
export function cacheScope(auth: AuthContext, shared: "key" | "team"): string {
  if (shared === "team" && auth.team) return `team:${auth.team.id}`;
  return auth.keyId ? `key:${auth.keyId}` : "open";
}

/** What a request's use of the cache came to. */
export interface CacheTicket {
  readonly status: "hit" | "semantic-hit" | "miss" | "skip";
  /** A hit's route plan: the cache the one candidate. */
  readonly hit: RoutePlan | null;
  /** Labels the answer; on a miss that may be stored, keeps the answer once it is complete. */
  settle(res: GatewayHttpResponse, log: LogRecorder): GatewayHttpResponse;
}

const SKIP: CacheTicket = {
  status: "skip",
  hit: null,
  settle(res) {
    res.headers[CACHE_HEADER] = "skip";
    return res;
  },
};

export class ResponseCache {
  private warnedAt = 0;
  /** Per model id, set on the dashboard: over the config file's `models:`. */
  private modelSwitches: Readonly<Record<string, boolean>> = {};

  constructor(
    readonly config: CacheConfig,
    readonly store: CacheStore,
    readonly semantic: { index: SemanticIndex; embed: Embedder } | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether the cache is on for this request's model, key and team: the key's switch, else its team's, else the
   * model's (the dashboard's, then the file's), else the file's `enabled`.
   */
  enabledFor(model: unknown, auth: AuthContext): boolean {
    if (auth.cache != null) return auth.cache;
    if (auth.team?.cache != null) return auth.team.cache;
    const byModel = typeof model === "string" ? (this.modelSwitches[model] ?? this.config.models[model]) : undefined;
    return byModel ?? this.config.enabled;
  }

  /** The dashboard's per-model switches (all of them: a model left out follows the file). */
  setModelSwitches(switches: Record<string, boolean>): void {
    this.modelSwitches = { ...switches };
  }

  get modelSwitchesSet(): Readonly<Record<string, boolean>> {
    return this.modelSwitches;
  }

  /** Store failures never fail a request: the answer is served uncached, and the failure logged once a minute. */
  private warn(what: string, err: unknown): null {
    if (this.now() - this.warnedAt >= 60_000) {
      this.warnedAt = this.now();
      console.warn(`[interference] response cache (${this.store.kind}): ${what} failed, serving uncached: ${(err as Error)?.message ?? err}`);
    }
    return null;
  }

  /**
   * The request's ticket: SKIP at once (no promise) when the cache is off for it, which is every request of a
   * gateway without a `cache:` section; else the lookup's.
   */
  open(
    spec: CacheApiSpec,
    raw: Record<string, unknown>,
    auth: AuthContext,
    headers: Record<string, string | undefined>,
    policy: RoutingPolicy,
    log: LogRecorder,
    signal: AbortSignal,
  ): CacheTicket | Promise<CacheTicket> {
    const choice = "cache" in raw ? takeRequestChoice(raw) : NO_CHOICE;
    if (!this.enabledFor(raw.model, auth)) return SKIP;
    return this.lookup(spec, raw, choice, auth, headers, policy, log, signal);
  }

  private async lookup(
    spec: CacheApiSpec,
    raw: Record<string, unknown>,
    choice: RequestChoice,
    auth: AuthContext,
    headers: Record<string, string | undefined>,
    policy: RoutingPolicy,
    log: LogRecorder,
    signal: AbortSignal,
  ): Promise<CacheTicket> {
    const control = cacheControl(headers["cache-control"]);
    if (choice.off || control.noStore) return SKIP;
    // An invalid request is the route's to refuse; one that cannot be decoded is keyed on its body as sent.
    let canonical: CanonicalRequest | null = null;
    try {
      const body = validate(spec.schema, raw);
      try {
        canonical = spec.decode(body);
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
      }
    } catch (err) {
      if (err instanceof GatewayError) return SKIP;
      throw err;
    }
    const temperature = canonical ? canonical.temperature : (raw.temperature as number | undefined);
    if (!this.config.any_temperature && temperature !== undefined && temperature !== null && temperature !== 0) return SKIP;
    // A shared (team) entry is only for a key that may use its model and provider anyway.
    const scope = scopeOf(auth);
    if (typeof raw.model === "string" && !scope.model(raw.model)) return SKIP;
    const input: KeyInput = {
      api: spec.api,
      raw,
      canonical,
      translatedFields: spec.translatedFields,
      provider: this.config.provider_exact ? (policy.source ?? null) : null,
    };
    const where = { scope: cacheScope(auth, this.config.scope), namespace: choice.namespace };
    const key = cacheKey(input);
    const usable = (e: CacheEntry | null): e is CacheEntry => !!e && e.expiresAt > this.now() && (!e.provider || scope.provider(e.provider));
    if (!control.noCache) {
      const found = await this.store.get(where.scope, where.namespace, key).catch((err: unknown) => this.warn("a lookup", err));
      if (usable(found)) return hit(found, "hit", `exact match of entry ${found.id}`, log);
    }
    let semantic: { text: string; context: string; vector: number[] } | null = null;
    const s = this.config.semantic;
    if (s.enabled && this.semantic) {
      const skey = semanticKey(input, s.embed);
      if (skey) {
        try {
          const vector = await this.semantic.embed(skey.text, signal);
          semantic = { ...skey, vector };
          if (!control.noCache) {
            // A few of the closest: the closest may be one the guard turns away while the next is a true match.
            const matches = await this.semantic.index.nearest(where.scope, where.namespace, skey.context, unit(vector), SEMANTIC_CANDIDATES);
            const threshold = (typeof raw.model === "string" ? s.thresholds[raw.model] : undefined) ?? s.threshold;
            const match = matches.find((m) => m.similarity >= threshold && usable(m.entry) && compatiblePrompts(skey.text, m.entry.prompt ?? ""));
            if (match) {
              const similarity = Math.round(match.similarity * 1000) / 1000;
              return hit(match.entry, `semantic-hit; similarity=${similarity}`, `similarity ${similarity} to entry ${match.entry.id}`, log);
            }
          }
        } catch (err) {
          if (signal.aborted) throw err;
          this.warn("a semantic lookup", err);
        }
      }
    }
    const ttlMs = (choice.ttlS ?? this.config.ttl_s) * 1000;
    const label = control.noCache ? "skip" : "miss";
    // On the log row before the route writes it (a JSON answer's row is written before its ticket settles).
    log.entry.cache = label;
    const keep = (result: NonNullable<ReturnType<typeof chatAnswer>>) => {
      const at = this.now();
      const entry: CacheEntry = {
        id: uuidv7(),
        ...where,
        key,
        model: typeof raw.model === "string" ? raw.model : null,
        provider: log.entry.provider,
        // The whole answer's usage as the log counted it (a stream sent without usage still had some).
        result: { ...result, usage: log.usageTotal() ?? result.usage },
        cost: log.entry.cost,
        createdAt: at,
        expiresAt: at + ttlMs,
        ...(semantic ? { prompt: semantic.text, context: semantic.context, vector: semantic.vector } : {}),
      };
      // The cap is on the answer (what a hit replays), not on the prompt's vector beside it.
      if (Buffer.byteLength(JSON.stringify(entry.result)) > this.config.max_entry_bytes) return;
      this.store.put(entry).catch((err) => this.warn("storing an answer", err));
      if (semantic && this.semantic)
        this.semantic.index.add(entry as CacheEntry & { context: string; vector: number[] }).catch((err) => this.warn("indexing an answer", err));
    };
    return {
      status: label,
      hit: null,
      settle(res) {
        res.headers[CACHE_HEADER] = label;
        if (res.status !== 200 || !res.body) return res;
        if (typeof res.body === "string") {
          const result = decodeAnswer(spec.api, res.body);
          if (result) keep(result);
          return res;
        }
        if (Buffer.isBuffer(res.body)) return res;
        res.body = captured(res.body, spec.api, log, keep);
        return res;
      },
    };
  }
}

/** A hit's ticket: the log row says which entry answered and what it saved; the key's TPM and budget are not spent. */
function hit(entry: CacheEntry, label: string, why: string, log: LogRecorder): CacheTicket {
  log.entry.cache = label.startsWith("semantic") ? "semantic-hit" : "hit";
  log.entry.cacheEntryId = entry.id;
  log.entry.cacheSaved = entry.cost;
  log.meter = null;
  log.budget = null;
  return {
    status: log.entry.cache,
    hit: hitPlan(entry.result, why),
    settle(res) {
      res.headers[CACHE_HEADER] = label;
      return res;
    },
  };
}

function decodeAnswer(api: CachedApi, body: string) {
  try {
    const answer = JSON.parse(body);
    return api === "chat" ? chatAnswer(answer) : api === "messages" ? messagesAnswer(answer) : responsesAnswer(answer);
  } catch {
    return null;
  }
}

/** The stream as it goes to the client, read on the side; kept when it ended complete and the request succeeded. */
async function* captured(
  body: AsyncIterable<string | Uint8Array>,
  api: CachedApi,
  log: LogRecorder,
  keep: (result: NonNullable<ReturnType<typeof chatAnswer>>) => void,
): AsyncGenerator<string | Uint8Array> {
  const capture = captureStream(api);
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    capture.feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    yield chunk;
  }
  const result = capture.result();
  if (result && log.entry.status === 200) keep(result);
}
