/**
 * GET /v1/usage: what the calling key spent today, this month and in total, and what each budget that counts its
 * requests leaves (its own and its team's, on every model or on one).
 */
import { GatewayError } from "../errors.js";
import type { AuthContext } from "../auth/types.js";
import { BUDGET_PERIODS, periodOf, readSpend, type BudgetLedger, type BudgetPeriod, type SpendSource } from "../spend/budget.js";

export interface UsageReport {
  object: "usage";
  key_id: string;
  team: { id: string; name: string } | null;
  /** USD the key spent per period: live (in-flight reservations included) for budgeted periods, as logged for the others. */
  spend: Record<BudgetPeriod, number>;
  budgets: Array<{
    scope: "key" | "team";
    model: string | null;
    period: BudgetPeriod;
    limit_usd: number;
    spent_usd: number;
    remaining_usd: number;
    resets_at: string | null;
  }>;
}

export async function usageReport(ledger: BudgetLedger, source: SpendSource, auth: AuthContext, now = Date.now()): Promise<UsageReport> {
  if (!auth.keyId) {
    throw new GatewayError(401, "authentication_error", "missing_api_key", "GET /v1/usage reports on an API key: send it as Authorization: Bearer <key>.");
  }
  const keyId = auth.keyId;
  const budgets = auth.budgets ?? [];
  const live = await ledger.spent(budgets);
  // A period the key has a budget on (every model) is read from its live counter, in-flight requests included.
  const counted = (p: BudgetPeriod) => budgets.findIndex((b) => b.owner === "key" && !b.model && b.period === p);
  const spend = { day: 0, month: 0, total: 0 };
  await Promise.all(
    BUDGET_PERIODS.map(async (p) => {
      const i = counted(p);
      spend[p] = i >= 0 ? live[i]! : await readSpend(source, { owner: "key", ownerId: keyId }, periodOf(p, now).start);
    }),
  );
  return {
    object: "usage",
    key_id: keyId,
    team: auth.team ?? null,
    spend,
    budgets: budgets.map((b, i) => ({
      scope: b.owner,
      model: b.model ?? null,
      period: b.period,
      limit_usd: b.limit,
      spent_usd: live[i]!,
      remaining_usd: Math.max(0, b.limit - live[i]!),
      resets_at: periodOf(b.period, now).end?.toISOString() ?? null,
    })),
  };
}
