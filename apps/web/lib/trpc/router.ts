/**
 * The admin API over tRPC: providers (live toggle, add/edit/delete with write-only secrets), request logs, usage,
 * API keys, teams, users, SSO and the audit log. Every procedure needs a signed-in user whose role may call it
 * (lib/admin/access.ts, one table); team users see and change only their teams' share. Mutations also need the CSRF
 * header and a same-origin Origin, and each one that succeeds writes one audit row.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  checkModelPath,
  checkProviderUrl,
  fromProviderForm,
  providerFormProblems,
  normalizeProvider,
  parseAllowList,
  providerDetail,
  toProviderForm,
  PROVIDER_TYPES,
  type ProviderConfig,
  type TimeoutField,
  type ProviderForm,
  PRESETS,
  probeProvider,
  restoreMaskedHeaders,
  priceFor,
  budgetRulesSchema,
  GatewayError,
  periodOf,
  type BudgetRule,
  routingConfig,
  routingConfigSchema,
  routingSettings,
  sortKeys,
  fallbackIds,
  STREAM_RECOVERY,
  assembleStreamBody,
  providerSecrets,
} from "@interference/core";
import { toPublicProvider, TEAM_ROLES, USAGE_GROUPS, USER_ROLES, type ApiKeyRecord, type LogStore, type UserRecord } from "@interference/db";
import type { Runtime } from "@/lib/runtime";
import { logFilterSchema, logSortSchema, toLogFilter } from "@/lib/log-filter";
import { auditFilterSchema, toAuditFilter } from "@/lib/audit-filter";
import { CLIENT_ADDRESS_HEADER, cookieFrom, currentUser, FIRST_OWNER_ID } from "@/lib/admin/session";
import { actorsOf, mayCall, PAGES, TeamScope } from "@/lib/admin/access";
import { auditChanges } from "@/lib/admin/audit";
import { inviteUrl, loadSso, saveSso, ssoView } from "@/lib/admin/people";
import { ssoSettingsSchema } from "@/lib/admin/sso";
import { answerOf, playgroundBody, playgroundSchema, sendThroughGateway } from "@/lib/admin/playground";
import { replayPath } from "@/lib/answer-text";
import { alertRuleSchema, maskedWebhook } from "@/lib/alerts/rules";

export interface AdminContext {
  runtime: Runtime;
  headers: Headers;
}

export const CSRF_HEADER = "x-interference-csrf";

/** Input errors in words (the first problem, naming its field), not the validator's JSON. */
const t = initTRPC.context<AdminContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    if (error.code !== "BAD_REQUEST" || !(cause instanceof z.ZodError)) return shape;
    // Every issue, a line each, in words ("rateLimitRpm: Too small…"), never the raw JSON of zod's error.
    const lines = cause.issues.map((issue) => `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
    return { ...shape, message: lines.join("\n") || "invalid input" };
  },
});

/**
 * A new key's expiry must be ahead: one already past makes a key that can never be used. (An edit may set a past
 * expiry: that ends the key at once, keeping its settings, as revoking would not.)
 */
function notInThePast(expiresAt: string | null | undefined): void {
  if (expiresAt && new Date(expiresAt).getTime() <= Date.now()) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The expiry (${new Date(expiresAt).toISOString()}) is in the past: choose a later time, or leave it empty for a key that does not expire.`,
    });
  }
}

/** Whether two settings are the same, whatever their keys' order and unset fields (JSON leaves those out). */
const sameSettings = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

/** The ids of the providers the gateway has now (the log filter matches them by prefix). */
const providerIds = (runtime: Runtime) => runtime.gateway.registry.list().map((p) => p.config.id);

/** The host of an Origin header, or null when it is not a URL ("null", garbage). */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** What a mutation tells the audit log: what it acted on, and the settings before and after. */
export interface AuditNote {
  target: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Every procedure: a signed-in user (read afresh: disabled or signed out elsewhere ends it here) whose role may
 * call this procedure by the access table; a mutation also needs the CSRF header and this host's Origin, and
 * writes exactly one audit row once it has succeeded (who, from where, what, the fields changed, secrets masked).
 */
const dashboard = t.procedure.use(async ({ ctx, type, path, next }) => {
  const user = await currentUser(ctx.runtime.store, cookieFrom(ctx.headers.get("cookie")));
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  if (type === "mutation") {
    // An Origin that is not this host's (or no URL at all: a sandboxed page sends "null") is refused.
    const origin = ctx.headers.get("origin");
    const host = ctx.headers.get("x-forwarded-host") ?? ctx.headers.get("host");
    if (ctx.headers.get(CSRF_HEADER) !== "1" || (origin !== null && host !== null && originHost(origin) !== host)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Cross-site request refused." });
    }
  }
  if (!mayCall(user, path)) throw new TRPCError({ code: "FORBIDDEN", message: `Your role (${roleName(user)}) may not do this (${path}).` });
  let note: AuditNote | undefined;
  const result = await next({ ctx: { user, scope: new TeamScope(user), audit: (n: AuditNote) => void (note = n) } });
  if (type === "mutation" && result.ok) {
    const secrets = ctx.runtime.gateway.registry.list().flatMap((p) => providerSecrets(p.config));
    await ctx.runtime.store.audit.append({
      actorId: user.id,
      actorEmail: user.email,
      address: ctx.headers.get(CLIENT_ADDRESS_HEADER),
      action: path,
      target: note?.target ?? null,
      changes: note ? auditChanges(note.before ?? null, note.after ?? null, secrets) : null,
    });
  }
  return result;
});

/** A role in words: "team lead of Search", "viewer". */
function roleName(user: Pick<UserRecord, "role" | "teams">): string {
  if (user.role !== "team") return user.role;
  return user.teams.map((t) => `${t.role === "lead" ? "team lead" : "member"} of ${t.name}`).join(", ") || "team user without a team";
}

const forbidden = (message: string) => new TRPCError({ code: "FORBIDDEN", message });

/** A store's refusal (a taken name, an unknown team) as the dashboard shows it; anything else is a server error. */
async function refusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof GatewayError && err.status < 500) {
      throw new TRPCError({ code: err.status === 409 ? "CONFLICT" : err.status === 404 ? "NOT_FOUND" : "BAD_REQUEST", message: err.message });
    }
    throw err;
  }
}

/**
 * Each budget with what its current period has spent, as logged, what it leaves, and whether it is past the
 * soft limit (`alertPercent`): the dashboard's view of a key's or team's budgets.
 */
async function budgetStatus(logs: LogStore, owner: "key" | "team", ownerId: string, rules: BudgetRule[], alertPercent: number) {
  const now = Date.now();
  return Promise.all(
    rules.map(async (rule) => {
      const { start, end } = periodOf(rule.period, now);
      const spent = await logs.spend({ owner, ownerId, model: rule.model }, start);
      return {
        ...rule,
        model: rule.model ?? null,
        spentUsd: spent,
        remainingUsd: Math.max(0, rule.limit_usd - spent),
        resetsAt: end?.toISOString() ?? null,
        alerting: spent >= (rule.limit_usd * alertPercent) / 100,
      };
    }),
  );
}

/** What the key and team lists show beside the budgets: this month's spend and the total. */
async function spendOf(logs: LogStore, owner: "key" | "team", ownerId: string) {
  const month = periodOf("month", Date.now()).start;
  const [spentMonthUsd, spentTotalUsd] = await Promise.all([logs.spend({ owner, ownerId }, month), logs.spend({ owner, ownerId }, null)]);
  return { spentMonthUsd, spentTotalUsd };
}

/** Buckets that fit a range: minutes up to two hours, hours up to two days, days beyond. */
const bucketFor = (ms: number): "minute" | "hour" | "day" => (ms <= 120 * 60_000 ? "minute" : ms <= 48 * 3_600_000 ? "hour" : "day");

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The provider form (core's ProviderForm): the config file's own shape, as text fields. */
const providerForm = z.object({
  id: z.string().min(1),
  type: z.enum(PROVIDER_TYPES),
  base_url: z.string(),
  /** Empty keeps the stored key (secrets are write-only). */
  api_key: z.string(),
  models: z.string(),
  image_models: z.string(),
  /** Absent (older clients): none. */
  embedding_models: z.string().default(""),
  audio_models: z.string().default(""),
  enabled: z.boolean(),
  /** Absent (older clients): only the settings JSON's. */
  headers: z.string().max(20_000).default(""),
  timeouts: z.object({ connect_ms: z.string(), first_byte_ms: z.string(), idle_ms: z.string(), total_ms: z.string() }).partial().default({}) as z.ZodType<
    Partial<Record<TimeoutField, string>>
  >,
  drop_params: z.boolean().optional(),
  settings: z.string().max(100_000),
  /** "add" refuses an id that exists (it would replace that provider); "edit" needs it to exist; absent: either. */
  mode: z.enum(["add", "edit"]).optional(),
});

/** A key's settings, as the new-key and edit forms send them: absent leaves a setting as it is. */
const keySettings = z.object({
  name: z.string().trim().min(1, "Name the key.").max(100).optional(),
  /** Comma- or space-separated; empty: any. */
  allowedProviders: z.string().optional(),
  allowedModels: z.string().optional(),
  rateLimitRpm: z.number().int().positive().nullish(),
  rateLimitTpm: z.number().int().positive().nullish(),
  budgets: budgetRulesSchema.optional(),
  teamId: z.string().nullish(),
  /** An instant; null: never expires. */
  expiresAt: z.iso.datetime({ offset: true }).nullish(),
  /** The key's default for streams that break after content; null: each provider's config decides. */
  streamRecovery: z.enum(STREAM_RECOVERY).nullish(),
  /** The response cache for its requests: on, off, or null (its team's, else the config's). */
  cache: z.boolean().nullish(),
});

/** A user's settings as the invite and edit forms send them. */
const userSettings = z.object({
  role: z.enum(USER_ROLES),
  /** For the team role: which teams, and lead or member in each. */
  teams: z
    .array(z.object({ id: z.string().min(1), role: z.enum(TEAM_ROLES) }))
    .max(100)
    .default([]),
});

function checkTeams(input: { role: string; teams: unknown[] }): void {
  if (input.role === "team" && !input.teams.length) throw new TRPCError({ code: "BAD_REQUEST", message: "teams: a team user needs at least one team." });
}

export const appRouter = t.router({
  providers: t.router({
    list: dashboard.query(async ({ ctx }) => {
      const { gateway, store } = ctx.runtime;
      const stats = new Map((await store.logs.providerStats(new Date(Date.now() - 3600_000))).map((s) => [s.provider, s]));
      const records = new Map((await store.providers.list()).map((r) => [r.config.id, r]));
      return gateway.registry.list().map((p) => {
        const record = records.get(p.config.id);
        return {
          ...providerDetail(p),
          source: record?.source ?? "config",
          apiKey: record ? toPublicProvider(record).config.api_key : p.config.api_key ? "set" : null,
          options: p.config.options,
          weight: p.config.weight,
          /** What the edit form starts from: the provider as configured (secrets left out). */
          form: toProviderForm(p.config),
          stats: stats.get(p.config.id) ?? null,
          /** Models whose requests cost nothing known (no configured or built-in price): set `prices` for them. */
          unpriced: p.config.models.filter((m) => m.id !== "*" && !priceFor(p.config, m)).map((m) => m.id),
        };
      });
    }),
    setEnabled: dashboard.input(z.object({ id: z.string(), enabled: z.boolean() })).mutation(async ({ ctx, input }) => {
      const was = ctx.runtime.gateway.registry.get(input.id)?.config.enabled;
      ctx.audit({ target: `provider:${input.id}`, before: { enabled: was ?? null }, after: { enabled: input.enabled } });
      const record = await ctx.runtime.store.providers.setEnabled(input.id, input.enabled);
      if (!record || !ctx.runtime.gateway.registry.setEnabled(input.id, input.enabled)) {
        throw new TRPCError({ code: "NOT_FOUND", message: `Unknown provider ${input.id}` });
      }
      return { id: input.id, enabled: input.enabled };
    }),
    save: dashboard.input(providerForm).mutation(async ({ ctx, input }) => {
      const { registry } = ctx.runtime.gateway;
      const previous = registry.get(input.id.trim())?.config;
      if (input.mode === "add" && previous) {
        throw new TRPCError({ code: "CONFLICT", message: `A provider with the id ${input.id.trim()} exists: edit it, or choose another id.` });
      }
      if (input.mode === "edit" && !previous) throw new TRPCError({ code: "NOT_FOUND", message: `No provider ${input.id.trim()} to edit.` });
      // Every problem at once, a line each, rather than the first one found.
      const problems = providerFormProblems(input as ProviderForm);
      if (problems.length) throw new TRPCError({ code: "BAD_REQUEST", message: problems.join("\n") });
      let config: ProviderConfig;
      try {
        config = normalizeProvider(fromProviderForm(input as ProviderForm));
        // Credential headers come back masked: left so, they keep their stored values.
        config.headers = restoreMaskedHeaders(config.headers, previous?.headers);
        // The dashboard may only point a local provider at a file in the models folder (it could read any file
        // the server can); a path the config file set and the form left unchanged stays as it is.
        for (const option of ["model_path", "embedding_model_path"]) {
          const path = config.options[option];
          if (config.type === "local" && typeof path === "string" && path !== previous?.options[option]) {
            config.options[option] = checkModelPath(path, ctx.runtime.modelsDir);
          }
        }
      } catch (err) {
        throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
      }
      // The dashboard can aim server-side requests anywhere: refuse internal addresses unless allow-listed (a URL
      // the form left as it was, from the config file say, is not the dashboard's doing).
      if (config.type !== "local" && config.base_url !== previous?.base_url) {
        try {
          await checkProviderUrl(config.base_url, parseAllowList(process.env.PROVIDER_URL_ALLOWLIST));
        } catch (err) {
          throw new TRPCError({ code: "BAD_REQUEST", message: `Provider URL refused: ${(err as Error).message}` });
        }
      }
      // Validated before it is stored (a local provider without a model file is refused here rather than stored
      // and failing every start after), and installed after, so the change other replicas hear of is in the
      // database when they reload it.
      try {
        registry.validate(config);
      } catch (err) {
        throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
      }
      ctx.audit({ target: `provider:${config.id}`, before: previous ?? null, after: { ...config, api_key: config.api_key || previous?.api_key } });
      // An unchanged save changes nothing: a provider from the config file stays the file's (and follows it).
      if (previous && sameSettings({ ...config, api_key: config.api_key || previous.api_key }, previous)) return { id: previous.id };
      const record = await ctx.runtime.store.providers.save(config, { keepSecretIfEmpty: true });
      registry.upsert(record.config, { trusted: ctx.runtime.trustedUrl(record.config) });
      return { id: record.config.id };
    }),
    /** The well-known services a provider can be added from: their type and base URL filled in. */
    presets: dashboard.query(() => Object.entries(PRESETS).map(([name, p]) => ({ name, type: p.type, base_url: p.base_url }))),
    /** One real, minimal call to the provider as saved (no retries, failover, breaker or log row), and what came of it. */
    test: dashboard.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const runtime = ctx.runtime.gateway.registry.get(input.id);
      if (!runtime) throw new TRPCError({ code: "NOT_FOUND", message: `Unknown provider ${input.id}` });
      ctx.audit({ target: `provider:${input.id}` });
      return probeProvider(runtime, ctx.runtime.gateway.timeouts);
    }),
    /** The order requests naming no provider try them in (and the page lists them in); null: the config file's. */
    reorder: dashboard.input(z.object({ ids: z.array(z.string()).max(1000).nullable() })).mutation(async ({ ctx, input }) => {
      const before = ctx.runtime.gateway.registry.list().map((p) => p.config.id);
      const records = await ctx.runtime.store.providers.reorder(input.ids);
      ctx.audit({ target: "providers", before: { order: before }, after: { order: records.map((r) => r.config.id) } });
      ctx.runtime.gateway.registry.reorder(records.map((r) => r.config.id));
      return { ids: records.map((r) => r.config.id) };
    }),
    remove: dashboard.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      ctx.audit({ target: `provider:${input.id}`, before: ctx.runtime.gateway.registry.get(input.id)?.config ?? null, after: null });
      await ctx.runtime.store.providers.remove(input.id);
      ctx.runtime.gateway.registry.remove(input.id);
      return { id: input.id };
    }),
  }),

  /** How providers of one model are ordered (strategies per model) and the chain's fallback. */
  routing: t.router({
    get: dashboard.query(({ ctx }) => routingConfig(ctx.runtime.gateway.registry.routing)),
    save: dashboard.input(routingConfigSchema).mutation(async ({ ctx, input }) => {
      const { registry } = ctx.runtime.gateway;
      for (const id of fallbackIds(routingSettings(input))) {
        if (!registry.get(id)) throw new TRPCError({ code: "BAD_REQUEST", message: `No provider has the id ${id}: a fallback must be one of them.` });
      }
      // Stored first, so the change other replicas hear of (the registry's event) is in the database when they reload.
      const before = routingConfig(registry.routing);
      const saved = await ctx.runtime.store.routing.save(input);
      ctx.audit({ target: "routing", before, after: saved });
      registry.setRouting(routingSettings(saved));
      return saved;
    }),
  }),

  logs: t.router({
    list: dashboard
      .input(logFilterSchema.extend({ ...logSortSchema.shape, cursor: z.string().nullish(), limit: z.number().int().min(1).max(200).default(50) }))
      .query(async ({ ctx, input }) => {
        const { cursor, limit, sort, dir, ...rest } = input;
        const filter = { ...toLogFilter(rest, providerIds(ctx.runtime)), visibleTo: await logVisibility(ctx.runtime, ctx.scope) };
        const { logs } = ctx.runtime.store;
        // The total is counted with the first page only: later pages keep to keyset reads.
        const [page, total] = await Promise.all([
          logs.query(filter, cursor ?? null, limit, { by: sort, dir }),
          cursor ? Promise.resolve(null) : logs.count(filter),
        ]);
        return { ...page, total };
      }),
    get: dashboard.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
      const row = await ctx.runtime.store.logs.get(input.id);
      if (!row || !(await seesLogRow(ctx.runtime, ctx.scope, row))) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
      return row;
    }),
    /**
     * A request's stored bodies (null: none kept), and whether bodies are being stored at all; a streamed answer also
     * put back together (its text and tool calls), for showing beside the raw events.
     */
    bodies: dashboard.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
      const [bodies, row] = await Promise.all([ctx.runtime.store.logs.bodies.get(input.id), ctx.runtime.store.logs.get(input.id)]);
      if (!row || !(await seesLogRow(ctx.runtime, ctx.scope, row))) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
      const assembled = bodies?.response && row?.stream ? assembleStreamBody(row.route, bodies.response) : null;
      return { storing: ctx.runtime.storesBodies, bodies, assembled };
    }),
  }),

  /**
   * The Overview: requests, error rate, latency and time-to-first-token percentiles, spend and tokens over a range
   * back from now (`minutes`) or between two instants, with the same figures per bucket for the charts.
   */
  overview: dashboard
    .input(
      z
        .object({
          minutes: z
            .number()
            .int()
            .min(5)
            .max(90 * 24 * 60)
            .optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
        })
        .refine((r) => r.minutes !== undefined || r.from !== undefined, { message: "Choose a range: the last N minutes, or from (and to)." })
        .refine((r) => !r.from || !r.to || Date.parse(r.from) < Date.parse(r.to), { message: "The range must start before it ends." })
        .refine((r) => !r.from || (r.to ? Date.parse(r.to) : Date.now()) - Date.parse(r.from) <= 90 * 86_400_000, {
          message: "A custom range spans at most 90 days.",
        }),
    )
    .query(async ({ ctx, input }) => {
      const to = input.to ? new Date(input.to) : new Date();
      const from = input.from ? new Date(input.from) : new Date(to.getTime() - input.minutes! * 60_000);
      const bucket = bucketFor(to.getTime() - from.getTime());
      return { from, to, bucket, ...(await ctx.runtime.store.logs.summary({ from, to, bucket })) };
    }),

  usage: dashboard
    .input(
      z.object({
        /** The range, back from now: 15 minutes to 30 days. */
        minutes: z
          .number()
          .int()
          .min(5)
          .max(30 * 24 * 60)
          .default(24 * 60),
        groupBy: z.enum(USAGE_GROUPS).default("provider"),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { logs, apiKeys, teams } = ctx.runtime.store;
      const bucket = bucketFor(input.minutes * 60_000);
      const rows = await logs.usage({ since: new Date(Date.now() - input.minutes * 60_000), bucket, groupBy: input.groupBy });
      // Keys and teams are shown by name (their ids stay in the tooltip).
      const names =
        input.groupBy === "apiKey"
          ? new Map((await apiKeys.list()).map((k) => [k.id, k.name]))
          : input.groupBy === "team"
            ? new Map((await teams.list()).map((t) => [t.id, t.name]))
            : null;
      // The catch-all groups, said in words: requests no provider was tried for, or that named no model, key or team.
      const NONE: Record<string, string> = {
        "(none)": input.groupBy === "provider" ? "(no provider tried)" : "(no model)",
        "(no end user)": "(no end user named)",
        "(no tag)": "(no tag)",
        "(no key)": "(no key)",
        "(no team)": "(no team)",
      };
      // A model by the id clients asked for, the ids its providers reported beside it (an alias's upstream).
      const labelOf = (b: (typeof rows)[number]) => {
        const label = names?.get(b.group) ?? NONE[b.group] ?? b.group;
        return b.detail ? `${label} (${b.detail})` : label;
      };
      return { bucket, buckets: rows.map((b) => ({ ...b, label: labelOf(b) })) };
    }),

  keys: t.router({
    // Each key with its team, who made it, what it spent this month and in total, each budget with what is left,
    // and its requests, errors, tokens and spend over the last 24 hours and 30 days, as logged. A team user gets
    // the keys of the teams they lead and the keys they made.
    list: dashboard.input(z.object({ createdById: z.string().max(100).optional() }).default({})).query(async ({ ctx, input }) => {
      const { logs, apiKeys, users } = ctx.runtime.store;
      const percent = ctx.runtime.budgetAlertPercent;
      const [day, month, people] = await Promise.all([
        logs.usageByOwner("apiKey", new Date(Date.now() - 86_400_000)),
        logs.usageByOwner("apiKey", new Date(Date.now() - 30 * 86_400_000)),
        users.list(),
      ]);
      const byId = new Map(people.map((u) => [u.id, u]));
      const none = { requests: 0, errors: 0, tokens: 0, cost: 0 };
      const keys = (await apiKeys.list()).filter((k) => ctx.scope.seesKey(k) && (!input.createdById || k.createdById === input.createdById));
      return Promise.all(
        keys.map(async (k) => {
          const maker = k.createdById ? byId.get(k.createdById) : undefined;
          return {
            ...k,
            team: k.team ? { id: k.team.id, name: k.team.name } : null,
            /** Who made it; `disabled`: the key still works until revoked. */
            createdBy: maker ? { id: maker.id, email: maker.email, disabled: maker.disabledAt !== null } : null,
            ...(await spendOf(logs, "key", k.id)),
            usage: { day: day.get(k.id) ?? none, month: month.get(k.id) ?? none },
            budgetStatus: await budgetStatus(logs, "key", k.id, k.budgets, percent),
            alertPercent: percent,
          };
        }),
      );
    }),
    create: dashboard.input(keySettings.extend({ name: keySettings.shape.name.unwrap() })).mutation(async ({ ctx, input }) => {
      notInThePast(input.expiresAt);
      if (!ctx.scope.mayPlaceKeyIn(input.teamId)) throw forbidden("Choose one of your teams for the key.");
      const { record, secret } = await refusals(
        ctx.runtime.store.apiKeys.create({
          name: input.name,
          allowedProviders: list(input.allowedProviders ?? ""),
          allowedModels: list(input.allowedModels ?? ""),
          rateLimitRpm: input.rateLimitRpm ?? null,
          rateLimitTpm: input.rateLimitTpm ?? null,
          budgets: input.budgets ?? [],
          teamId: input.teamId ?? null,
          expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
          streamRecovery: input.streamRecovery ?? null,
          cache: input.cache ?? null,
          createdById: ctx.user.id,
        }),
      );
      ctx.runtime.keysChanged();
      ctx.audit({ target: `key:${record.id}`, before: null, after: keySnapshot(record) });
      return { record, secret };
    }),
    /** A key's settings, changed after it was made (not its secret: rotate it); its next request, on every replica, sees them. */
    update: dashboard.input(keySettings.extend({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const { id, allowedProviders, allowedModels, expiresAt, ...rest } = input;
      const before = await keyInScope(ctx.runtime, ctx.scope, id);
      if (rest.teamId !== undefined && !ctx.scope.mayPlaceKeyIn(rest.teamId)) throw forbidden("Choose one of your teams for the key.");
      const changes = {
        ...rest,
        ...(allowedProviders !== undefined ? { allowedProviders: list(allowedProviders) } : {}),
        ...(allowedModels !== undefined ? { allowedModels: list(allowedModels) } : {}),
        ...(expiresAt !== undefined ? { expiresAt: expiresAt ? new Date(expiresAt) : null } : {}),
      };
      if (!(await refusals(ctx.runtime.store.apiKeys.update(id, changes)))) throw new TRPCError({ code: "NOT_FOUND", message: `No key ${id}` });
      ctx.runtime.keysChanged();
      const after = (await ctx.runtime.store.apiKeys.list()).find((k) => k.id === id);
      ctx.audit({ target: `key:${id}`, before: keySnapshot(before), after: after ? keySnapshot(after) : null });
      return { updated: true };
    }),
    /** A new secret, shown once; the old one keeps working for the grace period (0: stops at once). */
    rotate: dashboard
      .input(
        z.object({
          id: z.string(),
          graceSeconds: z
            .number()
            .int()
            .min(0)
            .max(30 * 86_400, "A grace period of at most 30 days."),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        await keyInScope(ctx.runtime, ctx.scope, input.id);
        const rotated = await ctx.runtime.store.apiKeys.rotate(input.id, input.graceSeconds);
        if (!rotated) throw new TRPCError({ code: "NOT_FOUND", message: "No such key, or it is revoked." });
        // Other replicas drop their cached lookups: the old secret holds only for its grace period there too.
        ctx.runtime.keysChanged();
        // The secret itself is never written: the row says it changed, and for how long the old one holds.
        ctx.audit({ target: `key:${input.id}`, before: { secret: "old" }, after: { secret: "new", graceSeconds: input.graceSeconds } });
        return rotated;
      }),
    revoke: dashboard.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const before = await keyInScope(ctx.runtime, ctx.scope, input.id);
      const revoked = await ctx.runtime.store.apiKeys.revoke(input.id);
      ctx.runtime.keysChanged(input.id);
      ctx.audit({ target: `key:${input.id}`, before: { revoked: before.revokedAt !== null }, after: { revoked: true } });
      return { revoked };
    }),
  }),

  cache: t.router({
    /**
     * The response cache as configured (the file's `cache:`), where it keeps answers, and per model id served by a
     * provider: whether it is on, and whether the dashboard or the file says so.
     */
    settings: dashboard.query(({ ctx }) => {
      const { cache, registry } = ctx.runtime.gateway;
      const switches = cache.modelSwitchesSet;
      const ids = [...new Set(registry.list().flatMap((p) => p.config.models.map((m) => m.id)))].filter((id) => id !== "*").sort();
      return {
        enabled: cache.config.enabled,
        ttlS: cache.config.ttl_s,
        scope: cache.config.scope,
        store: cache.store.kind,
        semantic: cache.semantic ? { index: cache.semantic.index.kind, threshold: cache.config.semantic.threshold } : null,
        models: ids.map((id) => ({
          id,
          on: switches[id] ?? cache.config.models[id] ?? cache.config.enabled,
          /** What the file alone says. */
          file: cache.config.models[id] ?? cache.config.enabled,
          set: id in switches ? ("dashboard" as const) : id in cache.config.models ? ("file" as const) : null,
        })),
      };
    }),
    /** A model's switch on the dashboard (null: as the file says); every replica applies it. */
    setModel: dashboard.input(z.object({ model: z.string().min(1).max(200), enabled: z.boolean().nullable() })).mutation(async ({ ctx, input }) => {
      const before = ctx.runtime.gateway.cache.modelSwitchesSet[input.model] ?? null;
      const switches = await ctx.runtime.store.cacheSwitches.set(input.model, input.enabled);
      ctx.runtime.gateway.cache.setModelSwitches(switches);
      ctx.runtime.cacheSwitchesChanged();
      ctx.audit({ target: `cache:${input.model}`, before: { enabled: before }, after: { enabled: input.enabled } });
      return { switches };
    }),
    /** Deletes a key's or a team's cached answers (all, or one namespace's): how many. */
    purge: dashboard
      .input(z.object({ owner: z.enum(["key", "team"]), id: z.string().min(1), namespace: z.string().max(128).optional() }))
      .mutation(async ({ ctx, input }) => {
        if (input.owner === "key") await keyInScope(ctx.runtime, ctx.scope, input.id);
        else if (!ctx.scope.all && ctx.scope.teams.get(input.id) !== "lead") throw forbidden("Only an admin or the team's lead may purge its cache.");
        const { cache } = ctx.runtime.gateway;
        const filter = { scope: `${input.owner}:${input.id}`, ...(input.namespace !== undefined ? { namespace: input.namespace } : {}) };
        const deleted = (await cache.store.purge(filter)) + ((await cache.semantic?.index.purge(filter)) ?? 0);
        ctx.audit({ target: `${input.owner}:${input.id}`, after: { cachePurged: deleted, namespace: input.namespace ?? null } });
        return { deleted };
      }),
  }),

  teams: t.router({
    // Each team with its keys, its people, what they spent together this month and in total, and each budget with
    // what is left. A team user sees their teams, and of the keys those the scope allows.
    list: dashboard.query(async ({ ctx }) => {
      const { logs, teams, apiKeys, users } = ctx.runtime.store;
      const percent = ctx.runtime.budgetAlertPercent;
      // Each team's keys with what each spent this month: the team on one screen.
      const since = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
      const [allKeys, keyUsage, people] = await Promise.all([apiKeys.list(), logs.usageByOwner("apiKey", since), users.list()]);
      return Promise.all(
        (await teams.list())
          .filter((team) => ctx.scope.seesTeam(team.id))
          .map(async (team) => ({
            ...team,
            keys: allKeys
              .filter((k) => k.team?.id === team.id && ctx.scope.seesKey(k))
              .map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, revoked: k.revokedAt !== null, monthUsd: keyUsage.get(k.id)?.cost ?? 0 })),
            members: people.flatMap((u) =>
              u.teams.filter((t) => t.id === team.id).map((t) => ({ id: u.id, email: u.email, role: t.role, disabled: u.disabledAt !== null })),
            ),
            ...(await spendOf(logs, "team", team.id)),
            budgetStatus: await budgetStatus(logs, "team", team.id, team.budgets, percent),
            alertPercent: percent,
          })),
      );
    }),
    create: dashboard
      .input(z.object({ name: z.string().trim().min(1).max(100), budgets: budgetRulesSchema.default([]), cache: z.boolean().nullish() }))
      .mutation(async ({ ctx, input }) => {
        const { id } = await refusals(ctx.runtime.store.teams.create(input));
        ctx.audit({ target: `team:${id}`, before: null, after: input });
        return { id };
      }),
    update: dashboard
      .input(
        z.object({ id: z.string(), name: z.string().trim().min(1).max(100).optional(), budgets: budgetRulesSchema.optional(), cache: z.boolean().nullish() }),
      )
      .mutation(async ({ ctx, input }) => {
        const { id, ...changes } = input;
        const before = (await ctx.runtime.store.teams.list()).find((t) => t.id === id);
        if (!(await refusals(ctx.runtime.store.teams.update(id, changes)))) throw new TRPCError({ code: "NOT_FOUND", message: `No team ${id}` });
        ctx.runtime.keysChanged(); // its keys' cached lookups carry its budgets
        const after = (await ctx.runtime.store.teams.list()).find((t) => t.id === id);
        ctx.audit({ target: `team:${id}`, before: before && teamSnapshot(before), after: after && teamSnapshot(after) });
        return { updated: true };
      }),
    remove: dashboard.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const before = (await ctx.runtime.store.teams.list()).find((t) => t.id === input.id);
      const removed = await ctx.runtime.store.teams.remove(input.id);
      ctx.runtime.keysChanged();
      ctx.audit({ target: `team:${input.id}`, before: before ? teamSnapshot(before) : null, after: null });
      return { removed };
    }),
  }),

  /** The signed-in user: who they are, what they act as, and the pages they may open. */
  me: dashboard.query(({ ctx }) => ({
    id: ctx.user.id,
    email: ctx.user.email,
    role: ctx.user.role,
    roleName: roleName(ctx.user),
    teams: ctx.user.teams,
    actors: actorsOf(ctx.user),
    pages: PAGES.filter((p) => mayCall(ctx.user, p.needs)).map((p) => p.href),
  })),

  users: t.router({
    list: dashboard.query(async ({ ctx }) => {
      const pending = new Set<string>();
      const people = await ctx.runtime.store.users.list();
      for (const u of people) if (!u.hasPassword && !u.sso) pending.add(u.id);
      return people.map((u) => ({ ...u, firstOwner: u.id === FIRST_OWNER_ID, invitePending: pending.has(u.id) }));
    }),
    /**
     * Invites a person (or sends a new link to one who has not signed in yet): the answer's `url` is shown once;
     * whoever opens it within `hours` sets a password, or signs in by SSO with that email.
     */
    invite: dashboard
      .input(userSettings.extend({ email: z.email("email: an email address"), hours: z.number().int().min(1).max(720).default(72) }))
      .mutation(async ({ ctx, input }) => {
        const { users } = ctx.runtime.store;
        checkTeams(input);
        const existing = await users.byEmail(input.email);
        if (existing && (existing.hasPassword || existing.sso)) throw new TRPCError({ code: "CONFLICT", message: `${existing.email} already has an account.` });
        const teams = input.role === "team" ? input.teams : [];
        const before = existing ? userSnapshot(existing) : null;
        const user = existing
          ? await refusals(users.update(existing.id, { role: input.role, teams, roleSource: "manual" }))
          : await refusals(users.create({ email: input.email, role: input.role, teams, createdById: ctx.user.id }));
        if (!user) throw new TRPCError({ code: "NOT_FOUND", message: "The user went while being invited." });
        const { token, expiresAt } = await users.createInvite(user.id, input.hours * 3600_000);
        ctx.audit({ target: `user:${user.id}`, before, after: { ...userSnapshot(user), inviteExpiresAt: expiresAt } });
        return { user, url: inviteUrl(ctx.headers, token), expiresAt };
      }),
    /** A user's role and teams (an owner cannot take away the last owner, themselves included). */
    update: dashboard.input(userSettings.extend({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const { users } = ctx.runtime.store;
      checkTeams(input);
      const before = await users.get(input.id);
      if (!before) throw new TRPCError({ code: "NOT_FOUND", message: `No user ${input.id}` });
      if (before.role === "owner" && input.role !== "owner") await keepAnOwner(ctx.runtime, input.id);
      const after = await refusals(users.update(input.id, { role: input.role, teams: input.role === "team" ? input.teams : [], roleSource: "manual" }));
      ctx.audit({ target: `user:${input.id}`, before: userSnapshot(before), after: after && userSnapshot(after) });
      return after;
    }),
    /** Disables a user (every session ends at once, on every replica) or enables them again. Their keys keep working. */
    disable: dashboard.input(z.object({ id: z.string(), disabled: z.boolean() })).mutation(async ({ ctx, input }) => {
      const { users, sessions } = ctx.runtime.store;
      const before = await users.get(input.id);
      if (!before) throw new TRPCError({ code: "NOT_FOUND", message: `No user ${input.id}` });
      if (input.disabled && input.id === ctx.user.id) throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable yourself." });
      if (input.disabled && before.role === "owner") await keepAnOwner(ctx.runtime, input.id);
      const after = await users.setDisabled(input.id, input.disabled);
      if (input.disabled) await sessions.revokeUser(input.id);
      ctx.audit({ target: `user:${input.id}`, before: { disabled: before.disabledAt !== null }, after: { disabled: input.disabled } });
      return after;
    }),
  }),

  audit: t.router({
    /** The audit log, newest first, filtered by who, what (a prefix: "keys.") and when, or text in the target or email. */
    list: dashboard
      .input(auditFilterSchema.extend({ cursor: z.string().max(100).nullish(), limit: z.number().int().min(1).max(200).default(50) }))
      .query(async ({ ctx, input }) => {
        const { cursor, limit, ...filter } = input;
        return ctx.runtime.store.audit.query(toAuditFilter(filter), cursor ?? null, limit);
      }),
  }),

  alerts: t.router({
    /** The rules, their webhooks shown by host only (the rest of the URL is the webhook's secret). */
    rules: dashboard.query(async ({ ctx }) => (await ctx.runtime.store.alerts.rules()).map((r) => ({ ...r, webhookUrl: maskedWebhook(r.webhookUrl) }))),
    /** Alerts fired, newest first; `open`: those still firing (the Overview's). */
    events: dashboard
      .input(z.object({ open: z.boolean().optional(), limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
      .query(({ ctx, input }) => ctx.runtime.store.alerts.events({ limit: input.limit, ...(input.open ? { open: true } : {}) })),
    /** Adds or edits a rule; an edit with no webhook URL keeps the stored one. A webhook must be a public address unless allow-listed. */
    save: dashboard.input(alertRuleSchema).mutation(async ({ ctx, input }) => {
      const { alerts } = ctx.runtime.store;
      const before = input.id ? (await alerts.rules()).find((r) => r.id === input.id) : undefined;
      if (input.id && !before) throw new TRPCError({ code: "NOT_FOUND", message: `No alert rule ${input.id}` });
      const webhookUrl = input.webhookUrl || before?.webhookUrl || "";
      if (!webhookUrl) throw new TRPCError({ code: "BAD_REQUEST", message: "webhookUrl: where to send the alert" });
      if (webhookUrl !== before?.webhookUrl) {
        try {
          await checkProviderUrl(webhookUrl, parseAllowList(process.env.PROVIDER_URL_ALLOWLIST));
        } catch (err) {
          throw new TRPCError({ code: "BAD_REQUEST", message: `webhookUrl: refused: ${(err as Error).message}` });
        }
      }
      if (input.provider && !ctx.runtime.gateway.registry.get(input.provider)) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `provider: no provider has the id ${input.provider}` });
      }
      const providerKind = input.kind !== "daily_spend" && input.kind !== "budget";
      const saved = await alerts.saveRule({
        ...input,
        provider: providerKind ? (input.provider ?? null) : null,
        budgetOwner: input.kind === "budget" ? (input.budgetOwner ?? null) : null,
        webhookUrl,
      });
      ctx.audit({ target: `alert:${saved.id}`, before: before ?? null, after: saved });
      return { ...saved, webhookUrl: maskedWebhook(saved.webhookUrl) };
    }),
    remove: dashboard.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const before = (await ctx.runtime.store.alerts.rules()).find((r) => r.id === input.id);
      const removed = await ctx.runtime.store.alerts.removeRule(input.id);
      ctx.audit({ target: `alert:${input.id}`, before: before ?? null, after: null });
      return { removed };
    }),
  }),

  playground: t.router({
    /**
     * One chat request to one provider and model, through the gateway (logged, priced, tagged "playground", the
     * signed-in person as its end user); with `replayOf`, a logged Chat Completions request's stored body sent
     * again to this provider and model. The answer, with the latency and cost its log row has.
     */
    send: dashboard
      .input(playgroundSchema.partial({ messages: true }).extend({ replayOf: z.string().max(100).optional() }))
      .mutation(async ({ ctx, input }) => {
        const { runtime } = ctx;
        let request: Record<string, unknown>;
        let path: string | undefined;
        if (input.replayOf) {
          // A request made a moment ago may still be in the write batches (its row and its bodies).
          await Promise.all([runtime.store.logs.sink.flush(), runtime.store.logs.bodies.sink.flush()]);
          const [row, bodies] = await Promise.all([runtime.store.logs.get(input.replayOf), runtime.store.logs.bodies.get(input.replayOf)]);
          if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
          path = replayPath(row.route) ?? undefined;
          if (!path) {
            throw new TRPCError({
              code: "BAD_REQUEST",
              message: `Replay sends Chat Completions, Responses and Messages requests again; this one was ${row.route}.`,
            });
          }
          if (!bodies?.request || bodies.truncated) {
            throw new TRPCError({
              code: "BAD_REQUEST",
              message: bodies?.truncated
                ? "Its stored body was cut at LOG_BODY_MAX_CHARS: it cannot be sent again."
                : "Its body was not stored (LOG_BODIES=true keeps bodies).",
            });
          }
          try {
            request = JSON.parse(bodies.request) as Record<string, unknown>;
          } catch {
            throw new TRPCError({ code: "BAD_REQUEST", message: "Its stored body is not JSON." });
          }
        } else {
          if (!input.messages?.length) throw new TRPCError({ code: "BAD_REQUEST", message: "messages: write one" });
          const { provider: _p, model: _m, replayOf: _r, ...rest } = input;
          request = rest;
        }
        ctx.audit({ target: `provider:${input.provider}`, after: { model: input.model, replayOf: input.replayOf ?? null } });
        const res = await sendThroughGateway(runtime, playgroundBody(request, input.provider, input.model, ctx.user, false, path), undefined, path);
        return answerOf(runtime, res);
      }),
  }),

  sso: t.router({
    /** The SSO settings in force (the client secret only as set or not) and where they come from. */
    get: dashboard.query(async ({ ctx }) => ssoView(await loadSso(ctx.runtime))),
    /** The owner's SSO settings (null: off, or back to the file's); the issuer is checked by discovery before saving. */
    save: dashboard.input(z.object({ settings: ssoSettingsSchema.nullable() })).mutation(async ({ ctx, input }) => {
      const before = await loadSso(ctx.runtime);
      const after = await refusals(saveSso(ctx.runtime, input.settings));
      ctx.audit({ target: "sso", before: before?.settings ?? null, after: after?.settings ?? null });
      return ssoView(after);
    }),
  }),
});

/** A key as the audit log shows it (its settings; the secret is never part of a record). */
const keySnapshot = (k: ApiKeyRecord) => ({
  name: k.name,
  team: k.team?.name ?? null,
  allowedProviders: k.allowedProviders,
  allowedModels: k.allowedModels,
  rateLimitRpm: k.rateLimitRpm,
  rateLimitTpm: k.rateLimitTpm,
  budgets: k.budgets,
  expiresAt: k.expiresAt,
  streamRecovery: k.streamRecovery,
  cache: k.cache,
});
const teamSnapshot = (t: { name: string; budgets: unknown; cache: boolean | null }) => ({ name: t.name, budgets: t.budgets, cache: t.cache });
const userSnapshot = (u: UserRecord) => ({ email: u.email, role: u.role, teams: u.teams.map((t) => `${t.name}:${t.role}`) });

/** Refuses a change that would leave no enabled owner. */
async function keepAnOwner(runtime: Runtime, leaving: string): Promise<void> {
  const owners = (await runtime.store.users.list()).filter((u) => u.role === "owner" && !u.disabledAt && u.id !== leaving);
  if (!owners.length) throw new TRPCError({ code: "BAD_REQUEST", message: "This is the last owner: make someone else an owner first." });
}

/** The key, when the user may see it; NOT_FOUND otherwise (a key out of scope is not confirmed to exist). */
async function keyInScope(runtime: Runtime, scope: TeamScope, id: string): Promise<ApiKeyRecord> {
  const key = (await runtime.store.apiKeys.list()).find((k) => k.id === id);
  if (!key || !scope.seesKey(key)) throw new TRPCError({ code: "NOT_FOUND", message: `No key ${id}` });
  return key;
}

/** A team user's share of the log (undefined: all of it). */
async function logVisibility(runtime: Runtime, scope: TeamScope) {
  return scope.all ? undefined : scope.logVisibility(await runtime.store.apiKeys.list());
}

async function seesLogRow(runtime: Runtime, scope: TeamScope, row: { teamId: string | null; apiKeyId: string | null }): Promise<boolean> {
  const visible = await logVisibility(runtime, scope);
  if (!visible) return true;
  return (row.teamId !== null && visible.teamIds.includes(row.teamId)) || (row.apiKeyId !== null && visible.apiKeyIds.includes(row.apiKeyId));
}

export type AppRouter = typeof appRouter;
