/**
 * Soft limits: once a key or team has spent `percent` of a budget in a period, an alert goes to the log and, when
 * set, to a webhook (fetched like every URL the gateway did not get from its config file: guarded address, pinned
 * DNS, bounded), once per budget and period on every replica together (the ledger's claim).
 */
import { counterId, describeBudget, periodOf, type Budget, type BudgetLedger, type BudgetPeriod } from "./budget.js";

export interface BudgetAlert {
  type: "budget.threshold";
  /** The key whose request crossed the threshold. */
  key_id: string;
  /** Whose budget it is: the key's own or its team's. */
  scope: "key" | "team";
  team_id: string | null;
  /** The model the budget is on (null: every model). */
  model: string | null;
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

  /** Looks at the budgets a request counted in after it settled; sends each one's alert the first time it is due. */
  async check(keyId: string, budgets: readonly Budget[]): Promise<BudgetAlert[]> {
    const now = this.now();
    const spent = await this.ledger.spent(budgets);
    const sent: BudgetAlert[] = [];
    for (const [i, b] of budgets.entries()) {
      const used = spent[i] ?? 0;
      if (used < (b.limit * this.options.percent) / 100) continue;
      const { end } = periodOf(b.period, now);
      if (!(await this.ledger.claim(`alert:${counterId(b, now)}`, end ? end.getTime() - now : null))) continue;
      const alert: BudgetAlert = {
        type: "budget.threshold",
        key_id: keyId,
        scope: b.owner,
        team_id: b.owner === "team" ? b.ownerId : null,
        model: b.model ?? null,
        period: b.period,
        limit_usd: b.limit,
        spent_usd: used,
        threshold_percent: this.options.percent,
        resets_at: end?.toISOString() ?? null,
      };
      console.warn(`[budget] ${describeBudget(b)} is ${this.options.percent}% spent: $${used.toFixed(6)} (request by key ${keyId})`);
      await this.options.notify?.(alert).catch((err: Error) => console.warn(`[budget] alert webhook failed: ${err.message}`));
      sent.push(alert);
    }
    return sent;
  }
}
