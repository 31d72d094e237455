/**
 * Soft limits: once a key has spent `percent` of a budget in a period, an alert goes to the log and, when set, to
 * a webhook (fetched like every URL the gateway did not get from its config file: guarded address, pinned DNS,
 * bounded), once per key, budget and period on every replica together (the ledger's claim).
 */
import { budgetsOf, periodOf, type BudgetLedger, type BudgetLimits, type BudgetPeriod } from "./budget.js";

export interface BudgetAlert {
  type: "budget.threshold";
  key_id: string;
  period: BudgetPeriod;
  limit_usd: number;
  spent_usd: number;
  threshold_percent: number;
  /** When the period's budget starts again (null: a total budget). */
  resets_at: string | null;
}

export interface AlertOptions {
  /** Percent of a budget that raises the alert (1–100). */
  percent: number;
  /** Delivers one alert (the webhook); failures are logged, never retried into a storm. */
  notify?: (alert: BudgetAlert) => Promise<void>;
}

export class BudgetAlerts {
  constructor(
    private readonly ledger: BudgetLedger,
    private readonly options: AlertOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks at a key's spend after a request settled; sends each budget's alert the first time it is due. */
  async check(keyId: string, limits: BudgetLimits): Promise<BudgetAlert[]> {
    const now = this.now();
    const spent = await this.ledger.spent(keyId, limits);
    const sent: BudgetAlert[] = [];
    for (const { period, limit } of budgetsOf(limits)) {
      const used = spent[period] ?? 0;
      if (used < (limit * this.options.percent) / 100) continue;
      const { id, end } = periodOf(period, now);
      if (!(await this.ledger.claim(`alert:${keyId}:${period}:${id}`, end ? end.getTime() - now : null))) continue;
      const alert: BudgetAlert = {
        type: "budget.threshold",
        key_id: keyId,
        period,
        limit_usd: limit,
        spent_usd: used,
        threshold_percent: this.options.percent,
        resets_at: end?.toISOString() ?? null,
      };
      console.warn(`[budget] key ${keyId} has spent $${used.toFixed(6)} of its ${period} budget of $${limit} (alert at ${this.options.percent}%)`);
      await this.options.notify?.(alert).catch((err: Error) => console.warn(`[budget] alert webhook failed: ${err.message}`));
      sent.push(alert);
    }
    return sent;
  }
}
