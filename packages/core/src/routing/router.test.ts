import { describe, expect, it } from "vitest";
import { ProviderRegistry } from "./registry.js";
import { parseProviderField, planRoute, runWithFailover } from "./router.js";
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
    const plan = planRoute(r, { model: "m1", provider: "B A" }, "chat");
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
    const plan = planRoute(r, { model: "m2", provider: "B Any A" }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["A"]);
    expect(plan.attempts).toEqual([
      { provider: "B", outcome: "skipped", reason: "does not serve model m2" },
      { provider: "Any", outcome: "skipped", reason: "disabled" },
    ]);
  });

  it("404s every unknown id at once", () => {
    expect(() => planRoute(r, { model: "m1", provider: "X A Y" }, "chat")).toThrow(/Unknown providers: X, Y/);
  });

  it("400s a parameter the only provider does not support, naming it, unless drop_params", () => {
    const body = { model: "m1", provider: "NoTools", params: ["tools"], paramName: (p: string) => `the ${p}` };
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
    const plan = planRoute(r, { model: "m1", provider: "NoTools A", params: ["tools"] }, "chat");
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["A"]);
    expect(plan.attempts[0]!.reason).toBe("does not support parameter tools");
  });

  it("uses the first model when none is named, and 400s unserved models", () => {
    expect(planRoute(r, { provider: "B" }, "chat").candidates[0]!.model.id).toBe("m1");
    // Only the disabled wildcard provider would serve it: that is "disabled" (503), not "unsupported".
    expect(() => planRoute(r, { model: "zzz" }, "chat")).toThrow(/Every provider that serves this request is disabled \(Any: disabled\)/);
    const strict = registry([{ id: "A", models: ["m1"] }]);
    expect(() => planRoute(strict, { model: "zzz" }, "chat")).toThrow(/No enabled provider serves model 'zzz'/);
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
