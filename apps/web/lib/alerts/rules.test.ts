import { describe, expect, it } from "vitest";
import type { AlertEventRecord, AlertRuleRecord } from "@interference/db";
import { alertRuleSchema, maskedWebhook, payload, read, type Figures } from "./rules";

const rule = (over: Partial<AlertRuleRecord> = {}): AlertRuleRecord => ({
  id: "alr_1",
  name: "errors",
  kind: "provider_error_rate",
  provider: "up",
  budgetOwner: null,
  threshold: 20,
  windowSeconds: 300,
  minRequests: 5,
  webhookUrl: "https://hooks.slack.com/services/T/B/token",
  format: "slack",
  enabled: true,
  createdAt: new Date(0),
  ...over,
});
const figures = (requests: number, errorRate: number, p95Ms: number | null = 100): Figures => ({
  providers: new Map([[300, new Map([["up", { requests, errorRate, p95Ms }]])]]),
  circuits: new Map([["up", "open"]]),
  spendToday: 12.5,
  budgets: new Map([["team:t1", { name: "team Search", percent: 85, spentUsd: 4.25, limitUsd: 5, period: "month" }]]),
});

describe("alert rules", () => {
  it("fires over the threshold, and judges nothing on too few requests", () => {
    expect(read(rule(), figures(10, 0.5))).toMatchObject({ firing: true, value: 50 });
    expect(read(rule(), figures(10, 0.1))).toMatchObject({ firing: false, value: 10 });
    expect(read(rule(), figures(3, 1))).toMatchObject({ firing: false, value: null }); // stays as it was
    expect(read(rule({ kind: "provider_p95", threshold: 50 }), figures(10, 0, 120)).message).toBe(
      "up: p95 latency 120 ms over the last 5 min (10 requests; threshold 50 ms)",
    );
    expect(read(rule({ kind: "circuit_open" }), figures(0, 0))).toMatchObject({ firing: true, message: "up: circuit open" });
    expect(read(rule({ kind: "daily_spend", provider: null, threshold: 10 }), figures(0, 0))).toMatchObject({ firing: true, value: 12.5 });
    expect(read(rule({ kind: "budget", provider: null, budgetOwner: "team:t1", threshold: 80 }), figures(0, 0))).toEqual({
      firing: true,
      value: 85,
      message: "team Search: 85.0% of its month budget spent ($4.25 of $5.00; threshold 80.0%)",
    });
    expect(read(rule({ kind: "budget", provider: null, budgetOwner: "key:gone", threshold: 80 }), figures(0, 0)).firing).toBe(false);
  });

  it("speaks Slack, Teams and JSON", () => {
    const event: AlertEventRecord = {
      id: "e1",
      ruleId: "alr_1",
      ruleName: "errors",
      firedAt: new Date(0),
      resolvedAt: null,
      message: "up: error rate 50.0%",
      value: 50,
    };
    expect(payload(rule(), event, "firing", "https://gw.example.com")).toEqual({
      text: "*🔴 Interference alert: errors*\nup: error rate 50.0%\n<https://gw.example.com/alerts|Alerts>",
    });
    expect(payload(rule({ format: "teams" }), event, "resolved", null)).toMatchObject({
      "@type": "MessageCard",
      title: "✅ Resolved: errors",
      themeColor: "107C10",
    });
    expect(payload(rule({ format: "json" }), event, "firing", null)).toMatchObject({
      state: "firing",
      rule: { id: "alr_1", kind: "provider_error_rate" },
      alert: event,
    });
    expect(JSON.stringify(payload(rule({ format: "json" }), event, "firing", null))).not.toContain("token"); // the webhook is not in it
  });

  it("checks a rule's form, and shows a webhook by its host only", () => {
    expect(alertRuleSchema.safeParse({ name: "x", kind: "provider_error_rate", threshold: 20 }).error?.issues[0]?.path).toEqual(["provider"]);
    expect(alertRuleSchema.safeParse({ name: "x", kind: "provider_error_rate", provider: "up", threshold: 120 }).error?.issues[0]?.message).toMatch(
      /percentage/,
    );
    expect(alertRuleSchema.parse({ name: "x", kind: "daily_spend", threshold: 5 })).toMatchObject({ windowSeconds: 300, format: "slack", enabled: true });
    expect(maskedWebhook("https://hooks.slack.com/services/T/B/token")).toBe("hooks.slack.com/…");
  });
});
