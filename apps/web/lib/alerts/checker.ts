/**
 * Checks the alert rules on every replica (and worker), every ALERT_CHECK_SECONDS (default 30): an alert opens
 * when its rule fires and closes when the rule's figures are back under its threshold. Opening and closing are
 * claimed in the database (one open alert per rule), so whichever replica claims a change delivers it, once.
 * Webhooks are fetched like any URL not from the config file: public addresses only unless allow-listed, no
 * redirects, 10 s at most; a failed delivery is logged, not retried (the alert stays in the list).
 */
import { parseAllowList, periodOf, UpstreamClient, type Gateway } from "@interference/core";
import type { AlertEventRecord, AlertRuleRecord, OpenedStore } from "@interference/db";
import { payload, read, type Figures } from "./rules";

export class AlertChecker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly client = new UpstreamClient({ guard: { allowList: parseAllowList(process.env.PROVIDER_URL_ALLOWLIST) } });

  constructor(
    private readonly store: OpenedStore,
    private readonly gateway: Gateway,
    private readonly dashboardUrl: string | null,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.client.close();
  }

  /** One round; a round still running is not started again. */
  check(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const rules = (await this.store.alerts.rules()).filter((r) => r.enabled);
      if (!rules.length) return;
      const figures = await this.figures(rules);
      for (const rule of rules) {
        const reading = read(rule, figures);
        if (reading.firing) {
          const opened = await this.store.alerts.open(rule.id, reading.message, reading.value);
          if (opened) await this.deliver(rule, opened, "firing");
        } else if (reading.value !== null || rule.kind === "circuit_open") {
          // Cleared only on a conclusive reading: a provider with too few requests to judge stays as it was.
          const closed = await this.store.alerts.resolve(rule.id);
          if (closed) await this.deliver(rule, { ...closed, message: reading.message }, "resolved");
        }
      }
    } catch (err) {
      console.warn(`[interference] alerts: check failed: ${(err as Error).message}`);
    }
  }

  private async figures(rules: AlertRuleRecord[]): Promise<Figures> {
    const now = Date.now();
    const windows = [...new Set(rules.filter((r) => r.kind === "provider_error_rate" || r.kind === "provider_p95").map((r) => r.windowSeconds))];
    const providers = new Map(
      await Promise.all(
        windows.map(async (w) => {
          const stats = await this.store.logs.providerStats(new Date(now - w * 1000));
          return [w, new Map(stats.map((s) => [s.provider, { requests: s.requests, errorRate: s.errorRate, p95Ms: s.p95Ms }]))] as const;
        }),
      ),
    );
    const circuits = new Map(this.gateway.registry.list().map((p) => [p.config.id, p.health.snapshot().circuit as string]));
    let spendToday = 0;
    if (rules.some((r) => r.kind === "daily_spend")) {
      const midnight = new Date(now);
      midnight.setUTCHours(0, 0, 0, 0);
      spendToday = (await this.store.logs.summary({ from: midnight, to: new Date(now), bucket: "hour" })).total.cost;
    }
    const budgets = new Map<string, { name: string; percent: number; spentUsd: number; limitUsd: number; period: string } | null>();
    const owners = [...new Set(rules.filter((r) => r.kind === "budget" && r.budgetOwner).map((r) => r.budgetOwner!))];
    if (owners.length) {
      const [keys, teams] = await Promise.all([this.store.apiKeys.list(), this.store.teams.list()]);
      for (const owner of owners) {
        const [kind, id] = owner.split(":") as ["key" | "team", string];
        const found = kind === "key" ? keys.find((k) => k.id === id) : teams.find((t) => t.id === id);
        let top: { name: string; percent: number; spentUsd: number; limitUsd: number; period: string } | null = null;
        for (const rule of found?.budgets ?? []) {
          const spentUsd = await this.store.logs.spend({ owner: kind, ownerId: id, model: rule.model }, periodOf(rule.period, now).start);
          const percent = rule.limit_usd > 0 ? (spentUsd / rule.limit_usd) * 100 : 0;
          if (!top || percent > top.percent) top = { name: `${kind} ${found!.name}`, percent, spentUsd, limitUsd: rule.limit_usd, period: rule.period };
        }
        budgets.set(owner, top);
      }
    }
    return { providers, circuits, spendToday, budgets };
  }

  private async deliver(rule: AlertRuleRecord, event: AlertEventRecord, state: "firing" | "resolved"): Promise<void> {
    try {
      const res = await this.client.send({
        url: rule.webhookUrl,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload(rule, event, state, this.dashboardUrl)),
        signal: AbortSignal.timeout(10_000),
        timeouts: { connect_ms: 5000, first_byte_ms: 10_000, idle_ms: 10_000 },
      });
      await res.body.dump({ limit: 64 * 1024 });
      console.log(`[interference] alert ${state}: ${rule.name}: ${event.message}`);
    } catch (err) {
      console.warn(`[interference] alert ${state}: ${rule.name}: the webhook failed: ${(err as Error).message}`);
    }
  }
}
