/**
 * The admin API over tRPC: providers (live toggle, add/edit/delete with write-only secrets), request logs, usage,
 * API keys. Every procedure needs an admin session; mutations also need the CSRF header and a same-origin Origin.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  checkModelPath,
  checkProviderUrl,
  fromProviderForm,
  normalizeProvider,
  parseAllowList,
  providerDetail,
  toProviderForm,
  PROVIDER_TYPES,
  type ProviderConfig,
  priceFor,
} from "@interference/core";
import { toPublicProvider } from "@interference/db";
import type { Runtime } from "@/lib/runtime";
import { cookieFrom, isValidSession } from "@/lib/admin/session";

export interface AdminContext {
  runtime: Runtime;
  headers: Headers;
}

export const CSRF_HEADER = "x-interference-csrf";

const t = initTRPC.context<AdminContext>().create();

const admin = t.procedure.use(async ({ ctx, type, next }) => {
  if (!(await isValidSession(ctx.runtime.store, cookieFrom(ctx.headers.get("cookie"))))) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  }
  if (type === "mutation") {
    const origin = ctx.headers.get("origin");
    const host = ctx.headers.get("x-forwarded-host") ?? ctx.headers.get("host");
    if (ctx.headers.get(CSRF_HEADER) !== "1" || (origin && host && new URL(origin).host !== host)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Cross-site request refused." });
    }
  }
  return next();
});

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
  enabled: z.boolean(),
  settings: z.string().max(100_000),
});

export const appRouter = t.router({
  providers: t.router({
    list: admin.query(async ({ ctx }) => {
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
          /** What the edit form starts from: the provider as configured (secrets left out). */
          form: toProviderForm(p.config),
          stats: stats.get(p.config.id) ?? null,
          /** Models whose requests cost nothing known (no configured or built-in price): set `prices` for them. */
          unpriced: p.config.models.filter((m) => m.id !== "*" && !priceFor(p.config, m)).map((m) => m.id),
        };
      });
    }),
    setEnabled: admin.input(z.object({ id: z.string(), enabled: z.boolean() })).mutation(async ({ ctx, input }) => {
      const record = await ctx.runtime.store.providers.setEnabled(input.id, input.enabled);
      if (!record || !ctx.runtime.gateway.registry.setEnabled(input.id, input.enabled)) {
        throw new TRPCError({ code: "NOT_FOUND", message: `Unknown provider ${input.id}` });
      }
      return { id: input.id, enabled: input.enabled };
    }),
    save: admin.input(providerForm).mutation(async ({ ctx, input }) => {
      const { registry } = ctx.runtime.gateway;
      const previous = registry.get(input.id)?.config;
      let config: ProviderConfig;
      try {
        config = normalizeProvider(fromProviderForm(input));
        // The dashboard may only point a local provider at a file in the models folder (it could read any file
        // the server can); a path the config file set and the form left unchanged stays as it is.
        const modelPath = config.options.model_path;
        if (config.type === "local" && typeof modelPath === "string" && modelPath !== previous?.options.model_path) {
          config.options.model_path = checkModelPath(modelPath, ctx.runtime.modelsDir);
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
      const record = await ctx.runtime.store.providers.save(config, { keepSecretIfEmpty: true });
      registry.upsert(record.config, { trusted: ctx.runtime.trustedUrl(record.config) });
      return { id: record.config.id };
    }),
    remove: admin.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      await ctx.runtime.store.providers.remove(input.id);
      ctx.runtime.gateway.registry.remove(input.id);
      return { id: input.id };
    }),
  }),

  logs: t.router({
    list: admin
      .input(
        z.object({
          provider: z.string().optional(),
          model: z.string().optional(),
          status: z.string().optional(),
          apiKeyId: z.string().optional(),
          from: z.string().optional(),
          to: z.string().optional(),
          cursor: z.string().nullish(),
          limit: z.number().int().min(1).max(200).default(50),
        }),
      )
      .query(async ({ ctx, input }) => {
        const { cursor, limit, from, to, ...rest } = input;
        const filter = Object.fromEntries(Object.entries(rest).filter(([, v]) => v)) as Record<string, string>;
        return ctx.runtime.store.logs.query(
          { ...filter, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}) },
          cursor ?? null,
          limit,
        );
      }),
    get: admin.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
      const row = await ctx.runtime.store.logs.get(input.id);
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such request." });
      return row;
    }),
  }),

  usage: admin
    .input(
      z.object({
        hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30)
          .default(24),
        groupBy: z.enum(["provider", "apiKey", "model"]).default("provider"),
      }),
    )
    .query(async ({ ctx, input }) =>
      ctx.runtime.store.logs.usage({ since: new Date(Date.now() - input.hours * 3600_000), bucket: input.hours > 48 ? "day" : "hour", groupBy: input.groupBy }),
    ),

  keys: t.router({
    // Each key with what it spent this month and in total, as logged (the dashboard's view of its budgets).
    list: admin.query(async ({ ctx }) => {
      const { logs, apiKeys } = ctx.runtime.store;
      const month = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
      return Promise.all(
        (await apiKeys.list()).map(async (k) => {
          const spent = { month: await logs.spend(k.id, month), total: await logs.spend(k.id, null) };
          const share = ctx.runtime.budgetAlertPercent / 100;
          // The budgets past the alert threshold (soft limit), as the gateway's alerts count them.
          const alerting = [
            ...(k.budgetMonthlyUsd !== null && spent.month >= k.budgetMonthlyUsd * share ? ["month"] : []),
            ...(k.budgetTotalUsd !== null && spent.total >= k.budgetTotalUsd * share ? ["total"] : []),
          ];
          return { ...k, spentMonthUsd: spent.month, spentTotalUsd: spent.total, alerting, alertPercent: ctx.runtime.budgetAlertPercent };
        }),
      );
    }),
    create: admin
      .input(
        z.object({
          name: z.string().min(1).max(100),
          allowedProviders: z.string().default(""),
          allowedModels: z.string().default(""),
          rateLimitRpm: z.number().int().positive().nullish(),
          rateLimitTpm: z.number().int().positive().nullish(),
          budgetDailyUsd: z.number().positive().nullish(),
          budgetMonthlyUsd: z.number().positive().nullish(),
          budgetTotalUsd: z.number().positive().nullish(),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { record, secret } = await ctx.runtime.store.apiKeys.create({
          name: input.name,
          allowedProviders: list(input.allowedProviders).length ? list(input.allowedProviders) : null,
          allowedModels: list(input.allowedModels).length ? list(input.allowedModels) : null,
          rateLimitRpm: input.rateLimitRpm ?? null,
          rateLimitTpm: input.rateLimitTpm ?? null,
          budgetDailyUsd: input.budgetDailyUsd ?? null,
          budgetMonthlyUsd: input.budgetMonthlyUsd ?? null,
          budgetTotalUsd: input.budgetTotalUsd ?? null,
        });
        ctx.runtime.keysChanged();
        return { record, secret };
      }),
    setBudgets: admin
      .input(
        z.object({
          id: z.string(),
          budgetDailyUsd: z.number().positive().nullable(),
          budgetMonthlyUsd: z.number().positive().nullable(),
          budgetTotalUsd: z.number().positive().nullable(),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { id, ...budgets } = input;
        if (!(await ctx.runtime.store.apiKeys.setBudgets(id, budgets))) throw new TRPCError({ code: "NOT_FOUND", message: `No key ${id}` });
        ctx.runtime.keysChanged();
        return { updated: true };
      }),
    revoke: admin.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
      const revoked = await ctx.runtime.store.apiKeys.revoke(input.id);
      ctx.runtime.keysChanged(input.id);
      return { revoked };
    }),
  }),
});

export type AppRouter = typeof appRouter;
