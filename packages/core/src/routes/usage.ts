/** GET /v1/usage: what the calling key spent today, this month and in total, and what its budgets leave. */
import { GatewayError } from "../errors.js";
import type { AuthContext } from "../auth/types.js";
import { BUDGET_PERIODS, budgetsOf, periodOf, readSpend, type BudgetLedger, type BudgetPeriod, type SpendSource } from "../spend/budget.js";

export interface UsageReport {
  object: "usage";
  key_id: string;
  /** USD per period: live (in-flight reservations included) for budgeted periods, as logged for the others. */
  spend: Record<BudgetPeriod, number>;
  budgets: Array<{ period: BudgetPeriod; limit_usd: number; spent_usd: number; remaining_usd: number; resets_at: string | null }>;
}

export async function usageReport(ledger: BudgetLedger, source: SpendSource, auth: AuthContext, now = Date.now()): Promise<UsageReport> {
  if (!auth.keyId) {
    throw new GatewayError(401, "authentication_error", "missing_api_key", "GET /v1/usage reports on an API key: send it as Authorization: Bearer <key>.");
  }
  const keyId = auth.keyId;
  const live = await ledger.spent(keyId, auth.budget ?? {});
  const spend = { day: 0, month: 0, total: 0 };
  await Promise.all(BUDGET_PERIODS.map(async (p) => void (spend[p] = live[p] ?? (await readSpend(source, keyId, periodOf(p, now).start)))));
  const budgets = budgetsOf(auth.budget).map(({ period, limit }) => ({
    period,
    limit_usd: limit,
    spent_usd: spend[period],
    remaining_usd: Math.max(0, limit - spend[period]),
    resets_at: periodOf(period, now).end?.toISOString() ?? null,
  }));
  return { object: "usage", key_id: keyId, spend, budgets };
}
