import { describe, expect, it } from "vitest";
import { ProviderRegistry } from "./registry.js";
import { planRoute, runWithFailover } from "./router.js";
import { routingConfig, routingSettings } from "./settings.js";
import { decodeProviderChoice, parseProviderField } from "./policy.js";
import { normalizeProvider } from "../config/load.js";
import { UpstreamError, GatewayError } from "../errors.js";
import type { ProviderAdapter } from "../adapters/types.js";
import type { CanonicalParam } from "../canonical/params.js";

/** Adapters that only declare which parameters they take: planning never calls them. */
const declaring = (params: CanonicalParam[]): ProviderAdapter => ({
  chat: {
    params: new Set(params),
    complete: async () => {
      throw new Error("not called");
    },
    stream: () => {
      throw new Error("not called");
    },
  },
});

function registry(entries: Array<Record<string, unknown>>, params: Record<string, CanonicalParam[]> = {}) {
  const r = new ProviderRegistry({ openai: (c) => declaring(params[c.id] ?? ["temperature", "tools"]) });
  r.replaceAll(entries.map((e) => normalizeProvider({ type: "openai", base_url: "http://127.0.0.1:9", ...e })));
  return r;
}

describe("parseProviderField", () => {
  it("splits on any whitespace and drops duplicates, keeping order", () => {
    expect(parseProviderField("  B  A\tB\nC ")).toEqual(["B", "A", "C"]);
    expect(parseProviderField(undefined)).toEqual([]);
  });
});

describe("planRoute", () => {
  const r = registry(
    [
      { id: "A", models: ["m1", "m2"] },
      { id: "B", models: ["m1", { id: "alias", upstream: "real" }] },
      { id: "Any", models: ["*"], enabled: false },
      { id: "NoTools", models: ["m1"] },
    ],
    { NoTools: ["temperature"] },
  );

  it("keeps the requested order and resolves aliases", () => {
    const plan = planRoute(r, { model: "m1", policy: decodeProviderChoice("B A") }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["B", "A"]);
    expect(planRoute(r, { model: "alias" }, "chat").candidates[0]!.model).toEqual({ id: "alias", upstream: "real" });
  });

  it("without a provider field, takes enabled providers serving the model in config order", () => {
    const plan = planRoute(r, { model: "m1" }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["A", "B", "NoTools"]);
  });

  it("routes in the order the dashboard set, once reordered; providers not named follow in their order", () => {
    const own = registry([
      { id: "A", models: ["m1"] },
      { id: "B", models: ["m1"] },
      { id: "C", models: ["m1"] },
    ]);
    const events: string[] = [];
    own.on("change", (e) => events.push(e.type));
    own.reorder(["C", "unknown"]);
    expect(planRoute(own, { model: "m1" }, "chat").candidates.map((c) => c.runtime.config.id)).toEqual(["C", "A", "B"]);
    own.reorder(["C", "A", "B"]); // the same order: nothing to tell other replicas
    expect(events).toEqual(["order"]);
  });

  it("records why named providers were passed over", () => {
    const plan = planRoute(r, { model: "m2", policy: decodeProviderChoice("B Any A") }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["A"]);
    expect(plan.attempts).toEqual([
      { provider: "B", outcome: "skipped", reason: "does not serve model m2", planned: true },
      { provider: "Any", outcome: "skipped", reason: "disabled", planned: true },
    ]);
  });

  it("404s every unknown id at once", () => {
    expect(() => planRoute(r, { model: "m1", policy: decodeProviderChoice("X A Y") }, "chat")).toThrow(/Unknown providers: X, Y/);
  });

  it("400s a parameter the only provider does not support, naming it, unless drop_params", () => {
    const body = { model: "m1", policy: decodeProviderChoice("NoTools"), params: ["tools"], paramName: (p: string) => `the ${p}` };
    try {
      planRoute(r, body, "chat");
      expect.unreachable();
    } catch (err) {
      expect((err as GatewayError).status).toBe(400);
      expect((err as GatewayError).code).toBe("unsupported_parameter");
      expect((err as GatewayError).extra.param).toBe("the tools");
    }
    const plan = planRoute(r, { ...body, drop_params: true }, "chat");
    expect(plan.candidates[0]!.dropped).toEqual(["tools"]);
  });

  it("passes over a provider lacking a parameter when another has it", () => {
    const plan = planRoute(r, { model: "m1", policy: decodeProviderChoice("NoTools A"), params: ["tools"] }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["A"]);
    expect(plan.attempts[0]!.reason).toBe("does not support parameter tools");
  });

  it("uses the first model when none is named, and 404s unserved models (model_not_found)", () => {
    expect(planRoute(r, { policy: decodeProviderChoice("B") }, "chat").candidates[0]!.model.id).toBe("m1");
    // Only the disabled wildcard provider would serve it: that is "disabled" (503), not "unsupported".
    expect(() => planRoute(r, { model: "zzz" }, "chat")).toThrow(/Every provider that serves this request is disabled \(Any: disabled\)/);
    const strict = registry([{ id: "A", models: ["m1"] }]);
    expect(() => planRoute(strict, { model: "zzz" }, "chat")).toThrow(/The model 'zzz' does not exist or no enabled provider serves it/);
    expect(() => planRoute(strict, { model: "zzz" }, "chat")).toThrow(expect.objectContaining({ status: 404, code: "model_not_found" }));
  });
});

describe("runWithFailover", () => {
  const r = registry([
    { id: "A", models: ["m"] },
    { id: "B", models: ["m"] },
  ]);
  const opts = { signal: new AbortController().signal, timeouts: {} };

  it("stops at the first success and records the chain", async () => {
    const plan = planRoute(r, { model: "m" }, "chat");
    const { candidate } = await runWithFailover(plan, opts, async (c) => {
      if (c.runtime.config.id === "A") throw new UpstreamError("HTTP 503", "http", 503);
      return "ok";
    });
    expect(candidate.runtime.config.id).toBe("B");
    expect(plan.attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "served"]); // A retried once
    // Only the failure that made it leave A is a failover; the retry before it is not.
    expect(plan.attempts.map((a) => a.moved_on ?? false)).toEqual([false, true, false]);
  });

  it("does not fail over on a request the provider rejects as invalid", async () => {
    const plan = planRoute(r, { model: "m" }, "chat");
    const tried: string[] = [];
    await expect(
      runWithFailover(plan, opts, async (c) => {
        tried.push(c.runtime.config.id);
        throw new UpstreamError("HTTP 400: context too long", "http", 400);
      }),
    ).rejects.toMatchObject({ status: 400, code: "upstream_rejected" });
    expect(tried).toEqual(["A"]);
  });
});

describe("planRoute with a routing policy", () => {
  const r = registry(
    [
      { id: "A", models: ["m", { id: "small", context_window: 100 }], prices: { m: { input: 1, output: 2 } } },
      { id: "B", models: ["m", { id: "small", context_window: 1000 }], prices: { m: { input: 5, output: 10 } }, data_collection: "deny" },
      { id: "C", models: ["m", "other"] },
      { id: "Loose", models: ["m"], drop_params: true },
      { id: "Last", models: ["fallback-model"] },
    ],
    { Loose: ["temperature"] },
  );
  r.setRouting({ strategy: "priority", models: {}, fallback: null, modelFallbacks: {} });
  const ids = (plan: ReturnType<typeof planRoute>) => plan.candidates.map((c) => c.runtime.config.id);
  const plan = (policy: unknown, extra: Partial<Parameters<typeof planRoute>[1]> = {}) =>
    planRoute(r, { model: "m", policy: decodeProviderChoice(policy), ...extra }, "chat");

  it("order goes first, then the others as fallbacks; only, ignore and allow_fallbacks narrow it", () => {
    expect(ids(plan({ order: ["C", "B"] }))).toEqual(["C", "B", "A", "Loose"]);
    expect(ids(plan({ order: ["C", "B"], allow_fallbacks: false }))).toEqual(["C", "B"]);
    expect(ids(plan({ allow_fallbacks: false }))).toEqual(["A"]);
    expect(ids(plan({ only: ["B", "C"] }))).toEqual(["B", "C"]);
    expect(ids(plan({ ignore: ["A", "Loose"] }))).toEqual(["B", "C"]);
    expect(() => plan({ ignore: ["Nope"] })).toThrow(/Unknown provider: Nope/);
    const p = plan({ order: ["C"] });
    expect(p.candidates.map((c) => c.why)).toEqual(["client's order, 1st", "priority, 1st of 3", "priority, 2nd of 3", "priority, 3rd of 3"]);
    expect(p.decision).toMatchObject({ models: [{ model: "m", strategy: "priority", order: ["C"] }] });
  });

  it("sort ranks the providers not in the order; max_price leaves out the dear and the unpriced", () => {
    expect(ids(plan({ sort: "price" }))).toEqual(["A", "B", "C", "Loose"]);
    const capped = plan({ max_price: { prompt: 2 } });
    expect(ids(capped)).toEqual(["A"]);
    expect(capped.attempts.map((a) => `${a.provider}: ${a.reason}`)).toEqual([
      "B: prompt price $5/M is above max_price.prompt $2/M",
      "C: no price known for model m (max_price set)",
      "Loose: no price known for model m (max_price set)",
    ]);
    expect(() => plan({ max_price: { completion: 1 } })).toThrow(expect.objectContaining({ status: 404, code: "no_provider_matches_policy" }));
  });

  it("data_collection: deny keeps only providers labelled deny", () => {
    expect(ids(plan({ data_collection: "deny" }))).toEqual(["B"]);
  });

  it("require_parameters skips a provider drop_params would have served", () => {
    expect(ids(plan({}, { params: ["tools"] }))).toEqual(["A", "B", "C", "Loose"]);
    expect(ids(plan({ require_parameters: true }, { params: ["tools"] }))).toEqual(["A", "B", "C"]);
  });

  it("skips a model whose context window the prompt exceeds, and 400s when none is large enough", () => {
    const small = (tokens: number) => planRoute(r, { model: "small", promptTokens: () => tokens }, "chat");
    expect(ids(small(50))).toEqual(["A", "B"]);
    const big = small(500);
    expect(ids(big)).toEqual(["B"]);
    expect(big.attempts[0]!.reason).toMatch(/about 500 tokens\) is larger than model small's context window of 100/);
    expect(() => small(5000)).toThrow(expect.objectContaining({ status: 400, code: "context_length_exceeded" }));
    expect(() => small(5000)).toThrow(/about 5000 tokens.*the largest is 1000 tokens/);
  });

  it("models[] adds the next model's providers after the first's; a model nobody serves is noted, not fatal", () => {
    const p = planRoute(r, { model: "m", policy: { ...decodeProviderChoice(undefined), fallbackModels: ["nope", "other"] } }, "chat");
    expect(p.candidates.map((c) => `${c.runtime.config.id}/${c.model.id}`)).toEqual(["A/m", "B/m", "C/m", "Loose/m", "C/other"]);
    expect(p.attempts).toEqual([expect.objectContaining({ provider: "*", reason: expect.stringMatching(/fallback model nope/) })]);
  });

  it("ends every chain with the configured fallback, unless fallbacks are off", () => {
    const own = registry([
      { id: "A", models: ["m"] },
      { id: "Last", models: ["fallback-model"] },
    ]);
    own.setRouting({ strategy: "priority", models: {}, fallback: "Last", modelFallbacks: {} });
    const p = planRoute(own, { model: "m" }, "chat");
    expect(p.candidates.map((c) => `${c.runtime.config.id}/${c.model.id}`)).toEqual(["A/m", "Last/fallback-model"]);
    expect(p.candidates[1]!.fallback).toBe(true);
    expect(p.decision!.fallback).toBe("Last");
    expect(ids(planRoute(own, { model: "m", policy: decodeProviderChoice({ allow_fallbacks: false }) }, "chat"))).toEqual(["A"]);
  });

  it("a model's own fallback ends its chains, over the global one, and only its", () => {
    const own = registry([
      { id: "A", models: ["m", "n"] },
      { id: "Spare", models: ["spare-model"] },
      { id: "Last", models: ["fallback-model"] },
    ]);
    own.setRouting(routingSettings({ fallback: "Last", models: { m: { fallback: "Spare" }, n: { strategy: "latency" } } }));
    expect(ids(planRoute(own, { model: "m" }, "chat"))).toEqual(["A", "Spare"]);
    expect(ids(planRoute(own, { model: "n" }, "chat"))).toEqual(["A", "Last"]);
    expect(routingConfig(own.routing)).toEqual({
      strategy: "priority",
      models: { m: { fallback: "Spare" }, n: { strategy: "latency" } },
      fallback: "Last",
    });
  });

  it("after a context-length refusal, skips candidates whose window is no larger", async () => {
    const plan = planRoute(r, { model: "small", promptTokens: () => 10 }, "chat");
    const tried: string[] = [];
    await expect(
      runWithFailover(plan, { signal: new AbortController().signal, timeouts: {} }, async (c) => {
        tried.push(c.runtime.config.id);
        throw new UpstreamError("This model's maximum context length is 100 tokens", "http", 400, undefined, "context_length_exceeded");
      }),
    ).rejects.toMatchObject({ status: 400, code: "context_length_exceeded" });
    expect(tried).toEqual(["A", "B"]);
  });
});
