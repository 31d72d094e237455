/**
 * API key budgets: the ledger's arithmetic (seeded from the durable record, periods that reset on an injectable
 * clock), and through the real gateway with the openai SDK: concurrent requests never overshoot a budget by more
 * than one request's reservation, the 429 says which budget and when it resets, /v1/usage reports what is left, and
 * a budgeted key is never served by a model without a price.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetMeter, MemoryBudgetLedger, periodOf, toNano, type Budget, type BudgetPeriod, type SpendSource } from "./budget.js";
import { GatewayError } from "../errors.js";
import { sendJson, startFakeServer, type FakeServer } from "../test-support/fake-server.js";
import { startScriptedOpenAI } from "../test-support/scripted-providers.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import type { RequestLogEntry } from "../logging/types.js";

/** A key's (or team's) budgets per period, on every model or on `model`. */
function budgets(ownerId: string, limits: Partial<Record<BudgetPeriod, number>>, more: Partial<Budget> = {}): Budget[] {
  return Object.entries(limits).map(([period, limit]) => ({ owner: "key", ownerId, period: period as BudgetPeriod, limit, ...more }));
}

describe("MemoryBudgetLedger", () => {
  it("starts each period from the record (one query for concurrent first requests), and refuses once it is spent", async () => {
    const queries: Array<Date | null> = [];
    const source: SpendSource = async (_key, since) => (queries.push(since), since ? 0.5 : 2);
    const now = Date.UTC(2026, 11, 3, 23, 59, 0);
    const ledger = new MemoryBudgetLedger(source, () => now);
    const limits = budgets("k", { day: 1, total: 3 });
    const [a, b] = await Promise.all([ledger.reserve(limits, 0.25), ledger.reserve(limits, 0.25)]);
    expect(queries).toEqual([new Date(Date.UTC(2026, 11, 3)), null]);
    expect(await ledger.spent(limits)).toEqual([1, 2.5]);
    await expect(ledger.reserve(limits, 0.01)).rejects.toMatchObject({ status: 429, code: "budget_exceeded" });
    await ledger.settle(a, 0.1);
    await ledger.settle(b, 0);
    expect(await ledger.spent(limits)).toEqual([0.6, 2.1]);
  });

  it("names the budget, the spend and the reset in the 429, with Retry-After; a total budget never resets", async () => {
    let now = Date.UTC(2026, 11, 31, 23, 0, 0);
    const ledger = new MemoryBudgetLedger(
      async () => 0,
      () => now,
    );
    await ledger.reserve(budgets("k", { month: 0.5 }), 0.5);
    const err = (await ledger.reserve(budgets("k", { month: 0.5 }), 0.01).catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toBe("This API key's monthly budget of $0.5 is spent ($0.500000 so far). It resets at 2027-01-01T00:00:00.000Z.");
    expect(err.extra.headers).toEqual({ "retry-after": "3600" });
    // The month turns: a new period, counted from the record (nothing yet).
    now = Date.UTC(2027, 0, 1, 0, 0, 1);
    await expect(ledger.reserve(budgets("k", { month: 0.5 }), 0.01)).resolves.toMatchObject({ counters: ["key:k:month:2027-01"] });
    await ledger.reserve(budgets("t", { total: 0.1 }), 0.2);
    const total = (await ledger.reserve(budgets("t", { total: 0.1 }), 0.01).catch((e: unknown) => e)) as GatewayError;
    expect(total.message).toMatch(/total budget of \$0.1 is spent .* It does not reset/);
    expect(total.extra.headers).toBeUndefined();
  });

  it("answers 503 while the record is unreachable, and counts again once it is back", async () => {
    let up = false;
    const ledger = new MemoryBudgetLedger(async () => {
      if (!up) throw new Error("connection refused");
      return 0.25;
    });
    await expect(ledger.reserve(budgets("k", { day: 1 }), 0.1)).rejects.toMatchObject({ status: 503, code: "database_unavailable" });
    up = true;
    await expect(ledger.reserve(budgets("k", { day: 1 }), 0.1)).resolves.toMatchObject({ nano: toNano(0.1) });
    expect(await ledger.spent(budgets("k", { day: 1 }))).toEqual([0.35]);
  });

  it("settles a request that outlived its period into the period it reserved in", async () => {
    let now = Date.UTC(2026, 11, 3, 23, 59, 59);
    const ledger = new MemoryBudgetLedger(
      async () => 0,
      () => now,
    );
    const r = await ledger.reserve(budgets("k", { day: 10 }), 1);
    now += 2000;
    await ledger.settle(r, 0.25);
    expect(await ledger.spent(budgets("k", { day: 10 }))).toEqual([0]);
    now -= 2000;
    expect(await ledger.spent(budgets("k", { day: 10 }))).toEqual([0.25]);
    expect(periodOf("day", now).id).toBe("2026-12-03");
  });

  it("counts a team's budget over all its keys, and a model's budget only on that model, each from its own record", async () => {
    const asked: string[] = [];
    const source: SpendSource = async (scope) => (asked.push(`${scope.owner}:${scope.ownerId}:${scope.model ?? "*"}`), scope.model ? 0.3 : 0);
    const ledger = new MemoryBudgetLedger(source);
    const team = budgets("eng", { month: 1 }, { owner: "team", ownerName: "Engineering" });
    const teamOnOpus = budgets("eng", { month: 0.5 }, { owner: "team", ownerName: "Engineering", model: "opus" });
    const meter = (key: string) => new BudgetMeter(ledger, [...budgets(key, { total: 10 }), ...team, ...teamOnOpus]);
    // Two keys of the team: $0.1 each on other models never touch the opus budget.
    await meter("a").reserve(0.1, ["haiku"]);
    await meter("b").reserve(0.1, ["haiku"]);
    expect(await ledger.spent([...team, ...teamOnOpus])).toEqual([0.2, 0.3]);
    // On opus: $0.3 already logged, $0.2 more reaches its $0.5.
    await meter("a").reserve(0.2, ["opus"]);
    const err = (await meter("b")
      .reserve(0.01, ["opus"])
      .catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toMatch(/^Team Engineering's monthly budget of \$0.5 for model opus is spent \(\$0.500000 so far\)\. It resets at /);
    // Other models are still served, counted in the team's and the key's budgets.
    await meter("b").reserve(0.1, ["haiku"]);
    expect(await ledger.spent([...team, ...budgets("a", { total: 10 }), ...budgets("b", { total: 10 })])).toEqual([0.5, 0.3, 0.2]);
    expect(asked.sort()).toEqual(["key:a:*", "key:b:*", "team:eng:*", "team:eng:opus"]);
  });

  it("refuses for the first spent budget and reserves in none of the others", async () => {
    const ledger = new MemoryBudgetLedger(async () => 0);
    const key = budgets("k", { day: 5 });
    const team = budgets("t", { day: 0.1 }, { owner: "team" });
    await ledger.reserve(team, 0.1);
    await expect(ledger.reserve([...key, ...team], 1)).rejects.toMatchObject({ code: "budget_exceeded", message: /^Team t's daily budget/ });
    expect(await ledger.spent(key)).toEqual([0]);
  });
});

describe("budgets through the gateway", () => {
  // $1,000 per million tokens: each scripted answer (11 in, 7 out) costs $0.018.
  const PER_REQUEST = 0.018;
  const keys: Record<string, Budget[]> = {
    tight: budgets("tight", { total: 0.1 }),
    daily: budgets("daily", { day: 0.02 }),
    none: [],
    // $0.03 a day on model m, nothing on m2 but the team's $10 a month on every model.
    modelled: [...budgets("modelled", { day: 0.03 }, { model: "m" }), ...budgets("eng", { month: 10 }, { owner: "team", ownerName: "eng" })],
  };
  let oa: FakeServer, gw: TestGateway;
  const rows: RequestLogEntry[] = [];
  beforeAll(async () => {
    oa = await startScriptedOpenAI("OA");
    gw = await startTestGateway(
      `providers:
  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m, m2, unpriced], prices: { m: { input: 1000, output: 1000 }, m2: { input: 1000, output: 1000 } } }
`,
      {
        logSink: { write: (e) => void rows.push(e) },
        authenticate: async (headers) => {
          const key = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1] ?? "";
          if (!(key in keys)) throw new GatewayError(401, "authentication_error", "invalid_api_key", "Invalid API key.");
          return { keyId: key, budgets: keys[key], ...(key === "modelled" ? { team: { id: "eng", name: "eng" } } : {}) };
        },
      },
    );
  });
  afterAll(async () => {
    await gw.close();
    await oa.close();
  });
  const client = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  const ask = (key: string, model = "m") => client(key).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 10 });

  it("holds a budget under concurrency: the overshoot is at most one request's reservation", async () => {
    const sent = 40;
    const results = await Promise.allSettled(Array.from({ length: sent }, () => ask("tight")));
    // Then one at a time, until refused: what the settled reservations gave back is spent too.
    let more = 0;
    while (
      (await ask("tight").then(
        () => true,
        () => false,
      )) &&
      more < 20
    )
      more++;
    await new Promise((r) => setTimeout(r, 50));
    const allowed = results.filter((r) => r.status === "fulfilled").length + more;
    const refused = results.filter((r) => r.status === "rejected");
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 429, code: "budget_exceeded" });
    const logged = rows.filter((r) => r.apiKeyId === "tight" && r.status === 200);
    const spend = logged.reduce((sum, r) => sum + r.cost!, 0);
    // The reservation: the prompt at 4 characters a token plus max_tokens 10, at $1,000 per million.
    const reservation = (Math.ceil(JSON.stringify([{ role: "user", content: "hi" }]).length / 4) + 10) * 0.001;
    const report = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: "Bearer tight" } })).json()) as any;
    console.log(
      `[budget] sent ${sent + more + 1}, allowed ${allowed}, refused ${sent + more + 1 - allowed}; spend logged $${spend.toFixed(6)}, ` +
        `ledger $${report.spend.total.toFixed(6)}; budget $0.1, overshoot $${Math.max(0, spend - 0.1).toFixed(6)} (one reservation: $${reservation.toFixed(6)})`,
    );
    expect(logged).toHaveLength(allowed);
    expect(spend).toBeCloseTo(allowed * PER_REQUEST, 9);
    expect(spend).toBeGreaterThanOrEqual(0.1 - PER_REQUEST);
    expect(spend).toBeLessThanOrEqual(0.1 + reservation);
    expect(report.spend.total).toBeCloseTo(spend, 9);
    expect(report.budgets).toEqual([
      { scope: "key", model: null, period: "total", limit_usd: 0.1, spent_usd: report.spend.total, remaining_usd: 0, resets_at: null },
    ]);
  });

  it("answers 429 budget_exceeded with Retry-After to the next UTC day", async () => {
    await ask("daily");
    await ask("daily");
    const err = (await ask("daily").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ code: "budget_exceeded", type: "rate_limit_error" });
    expect((err.error as { message: string }).message).toMatch(
      /daily budget of \$0.02 is spent \(\$0.036000 so far\)\. It resets at \d{4}-\d\d-\d\dT00:00:00.000Z/,
    );
    const retryAfter = Number(err.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });

  it("never lets a budgeted key reach a model without a price; a key without a budget may", async () => {
    const err = (await ask("tight", "unpriced").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.PermissionDeniedError>;
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.error).toMatchObject({ code: "model_not_priced" });
    await expect(ask("none", "unpriced")).resolves.toMatchObject({ provider: "oa" });
  });

  it("holds a budget on one model without touching the others; the team's budget counts them all", async () => {
    await ask("modelled", "m");
    await ask("modelled", "m");
    const err = (await ask("modelled", "m").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect((err.error as { message: string }).message).toMatch(/^This API key's daily budget of \$0.03 for model m is spent \(\$0.036000 so far\)/);
    await expect(ask("modelled", "m2")).resolves.toMatchObject({ provider: "oa" });
    const report = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: "Bearer modelled" } })).json()) as any;
    expect(report.team).toEqual({ id: "eng", name: "eng" });
    expect(report.budgets.map((b: any) => [b.scope, b.model, b.period, b.limit_usd, Number(b.spent_usd.toFixed(9))])).toEqual([
      ["key", "m", "day", 0.03, 0.036],
      ["team", null, "month", 10, 0.054],
    ]);
    expect(rows.filter((r) => r.apiKeyId === "modelled" && r.status === 200).every((r) => r.teamId === "eng")).toBe(true);
  });

  it("reports a key's spend on /v1/usage, and refuses the question without a key", async () => {
    const report = (await (await fetch(`${gw.url}/v1/usage`, { headers: { authorization: "Bearer daily" } })).json()) as any;
    expect(report).toMatchObject({ object: "usage", key_id: "daily", budgets: [{ period: "day", limit_usd: 0.02 }] });
    expect(report.budgets[0].spent_usd).toBeCloseTo(0.036, 9);
    expect(report.budgets[0].resets_at).toBe(periodOf("day", Date.now()).end!.toISOString());
    expect((await fetch(`${gw.url}/v1/usage`)).status).toBe(401);
  });
});

describe("soft limits", () => {
  it("alerts once per key, budget and period at the threshold, to the webhook (guarded, allow-listed here)", async () => {
    const hooks: any[] = [];
    const hook = await startFakeServer((_q, res, body) => (hooks.push(body), sendJson(res, 204, {})));
    const oa = await startScriptedOpenAI("OA");
    const gw = await startTestGateway(
      `providers:\n  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m], prices: { m: { input: 1000, output: 1000 } } }\n`,
      {
        authenticate: async () => ({ keyId: "k", budgets: budgets("k", { day: 0.1 }) }),
        budgetAlerts: { percent: 50, webhook: `${hook.url}/alerts` },
        urlAllowList: [new URL(hook.url).host],
      },
    );
    try {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "k", maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 10 });
      // $0.018 each: 0.036 after two (below 50%), 0.054 after three, 0.072 after four.
      for (let i = 0; i < 2; i++) await ask();
      await new Promise((r) => setTimeout(r, 100));
      expect(hooks).toEqual([]);
      for (let i = 0; i < 2; i++) await ask();
      await new Promise((r) => setTimeout(r, 200));
      expect(hooks).toHaveLength(1);
      expect(hooks[0]).toMatchObject({
        type: "budget.threshold",
        key_id: "k",
        scope: "key",
        team_id: null,
        model: null,
        period: "day",
        limit_usd: 0.1,
        threshold_percent: 50,
      });
      expect(hooks[0].spent_usd).toBeCloseTo(0.054, 9);
      expect(hooks[0].resets_at).toBe(periodOf("day", Date.now()).end!.toISOString());
    } finally {
      await gw.close();
      await oa.close();
      await hook.close();
    }
  });

  it("never posts to an internal address that is not allow-listed", async () => {
    const hooks: unknown[] = [];
    const hook = await startFakeServer((_q, res, body) => (hooks.push(body), sendJson(res, 204, {})));
    const oa = await startScriptedOpenAI("OA");
    const gw = await startTestGateway(
      `providers:\n  - { id: oa, type: openai, base_url: "${oa.url}/v1", models: [m], prices: { m: { input: 1000, output: 1000 } } }\n`,
      { authenticate: async () => ({ keyId: "k", budgets: budgets("k", { total: 0.01 }) }), budgetAlerts: { percent: 80, webhook: `${hook.url}/alerts` } },
    );
    try {
      await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "k", maxRetries: 0 }).chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(hooks).toEqual([]);
    } finally {
      await gw.close();
      await oa.close();
      await hook.close();
    }
  });
});
