/**
 * Alert rules: what each kind watches, how a rule reads its figures, and the webhook payloads (Slack's and
 * Microsoft Teams' incoming webhooks, or plain JSON). Pure: the checker (checker.ts) gathers the figures.
 */
import { z } from "zod";
import { ALERT_FORMATS, ALERT_KINDS, type AlertEventRecord, type AlertRuleRecord } from "@interference/db";

export const alertRuleSchema = z
  .object({
    id: z.string().max(100).optional(),
    name: z.string().trim().min(1, "name: required").max(100),
    kind: z.enum(ALERT_KINDS),
    provider: z.string().trim().max(64).nullish(),
    /** A budget rule's key or team: "key:<id>" or "team:<id>". */
    budgetOwner: z
      .string()
      .regex(/^(key|team):[\w-]{1,100}$/, "budgetOwner: a key or a team")
      .nullish(),
    threshold: z.number().positive("threshold: above 0"),
    /** The window an error rate or p95 is taken over. */
    windowSeconds: z.number().int().min(5).max(86_400).default(300),
    minRequests: z.number().int().min(1).max(100_000).default(5),
    /** Empty on an edit: keep the stored one (it carries the webhook's token). */
    webhookUrl: z.string().trim().max(2000).default(""),
    format: z.enum(ALERT_FORMATS).default("slack"),
    enabled: z.boolean().default(true),
  })
  .refine((r) => r.kind === "daily_spend" || r.kind === "budget" || !!r.provider, { message: "provider: this kind watches one provider", path: ["provider"] })
  .refine((r) => r.kind !== "budget" || !!r.budgetOwner, { message: "budgetOwner: choose the key or team whose budgets to watch", path: ["budgetOwner"] })
  .refine((r) => (r.kind !== "provider_error_rate" && r.kind !== "budget") || r.threshold <= 100, {
    message: "threshold: a percentage, at most 100",
    path: ["threshold"],
  });

export type AlertRuleForm = z.infer<typeof alertRuleSchema>;

/** The figures a check reads, gathered once per round. */
export interface Figures {
  /** Per window (seconds), per provider: requests, error rate (0-1), p95 latency (ms). */
  providers: Map<number, Map<string, { requests: number; errorRate: number; p95Ms: number | null }>>;
  /** Each provider's circuit state. */
  circuits: Map<string, string>;
  /** USD spent since midnight UTC, as logged. */
  spendToday: number;
  /** Per budget owner ("key:<id>", "team:<id>"): its most used budget, as a percentage of its limit. */
  budgets: Map<string, { name: string; percent: number; spentUsd: number; limitUsd: number; period: string } | null>;
}

export interface Reading {
  firing: boolean;
  value: number | null;
  message: string;
}

/** Dollars to the cent from a dollar, to a millionth below a cent. */
const usd = (v: number) => `$${v.toFixed(v >= 1 ? 2 : v >= 0.01 ? 4 : 6)}`;

const UNIT: Record<AlertRuleRecord["kind"], (v: number) => string> = {
  provider_error_rate: (v) => `${v.toFixed(1)}%`,
  provider_p95: (v) => `${Math.round(v)} ms`,
  circuit_open: () => "open",
  daily_spend: (v) => usd(v),
  budget: (v) => `${v >= 1 || v === 0 ? v.toFixed(1) : v.toPrecision(2)}%`,
};

/** What a rule sees in the figures: whether it fires, the value it saw, and that in words. */
export function read(rule: AlertRuleRecord, figures: Figures): Reading {
  const window = `over the last ${rule.windowSeconds >= 120 ? `${Math.round(rule.windowSeconds / 60)} min` : `${rule.windowSeconds} s`}`;
  switch (rule.kind) {
    case "provider_error_rate":
    case "provider_p95": {
      const s = figures.providers.get(rule.windowSeconds)?.get(rule.provider ?? "");
      if (!s || s.requests < rule.minRequests) return { firing: false, value: null, message: `${rule.provider}: too few requests ${window} to judge` };
      const value = rule.kind === "provider_error_rate" ? s.errorRate * 100 : (s.p95Ms ?? 0);
      const what = rule.kind === "provider_error_rate" ? "error rate" : "p95 latency";
      return {
        firing: value > rule.threshold,
        value,
        message: `${rule.provider}: ${what} ${UNIT[rule.kind](value)} ${window} (${s.requests} requests; threshold ${UNIT[rule.kind](rule.threshold)})`,
      };
    }
    case "circuit_open": {
      const state = figures.circuits.get(rule.provider ?? "") ?? "unknown";
      return { firing: state === "open", value: null, message: `${rule.provider}: circuit ${state}` };
    }
    case "budget": {
      const b = figures.budgets.get(rule.budgetOwner ?? "");
      if (!b) return { firing: false, value: null, message: `${rule.budgetOwner}: no budget` };
      return {
        firing: b.percent >= rule.threshold,
        value: b.percent,
        message: `${b.name}: ${UNIT.budget(b.percent)} of its ${b.period} budget spent (${usd(b.spentUsd)} of ${usd(b.limitUsd)}; threshold ${UNIT.budget(rule.threshold)})`,
      };
    }
    case "daily_spend":
      return {
        firing: figures.spendToday > rule.threshold,
        value: figures.spendToday,
        message: `spend today (UTC) ${UNIT.daily_spend(figures.spendToday)} (threshold ${UNIT.daily_spend(rule.threshold)})`,
      };
  }
}

/** The webhook's body: Slack's `text`, a Teams MessageCard, or the alert as JSON. */
export function payload(rule: AlertRuleRecord, event: AlertEventRecord, state: "firing" | "resolved", dashboardUrl: string | null): unknown {
  const title = state === "firing" ? `🔴 Interference alert: ${rule.name}` : `✅ Resolved: ${rule.name}`;
  const text = state === "firing" ? event.message : `${event.message}: cleared`;
  const link = dashboardUrl ? `${dashboardUrl}/alerts` : null;
  if (rule.format === "slack") return { text: `*${title}*\n${text}${link ? `\n<${link}|Alerts>` : ""}` };
  if (rule.format === "teams") {
    return {
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      summary: title,
      themeColor: state === "firing" ? "D13438" : "107C10",
      title,
      text,
      ...(link ? { potentialAction: [{ "@type": "OpenUri", name: "Alerts", targets: [{ os: "default", uri: link }] }] } : {}),
    };
  }
  return {
    state,
    rule: { id: rule.id, name: rule.name, kind: rule.kind, provider: rule.provider, budgetOwner: rule.budgetOwner, threshold: rule.threshold },
    alert: event,
  };
}

/** A webhook URL as the dashboard shows it: its host only (the rest is the webhook's secret). */
export const maskedWebhook = (url: string) => {
  try {
    return `${new URL(url).host}/…`;
  } catch {
    return "(not a URL)";
  }
};
