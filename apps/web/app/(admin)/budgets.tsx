"use client";
/**
 * Budgets as the key and team forms edit them (core's BudgetRule: a period, a USD limit, optionally a model), and
 * as the key and team tables show them: each with what its period has spent and what it leaves.
 */

export type BudgetRow = { period: "day" | "month" | "total"; limit: string; model: string };
export type BudgetRule = { period: BudgetRow["period"]; limit_usd: number; model?: string | null };
export type BudgetStatus = BudgetRule & { model: string | null; spentUsd: number; remainingUsd: number; resetsAt: string | null; alerting: boolean };

const PERIOD_WORDS = { day: "today", month: "this month", total: "in total" } as const;

export const usd = (n: number) => `$${n.toFixed(n >= 1 ? 2 : n >= 0.01 || n === 0 ? 4 : 6)}`;

export const toRows = (rules: BudgetRule[]): BudgetRow[] => rules.map((r) => ({ period: r.period, limit: String(r.limit_usd), model: r.model ?? "" }));

/** The rows with a limit, as rules (an empty limit drops its row). */
export const toRules = (rows: BudgetRow[]): BudgetRule[] =>
  rows.filter((r) => r.limit.trim()).map((r) => ({ period: r.period, limit_usd: Number(r.limit), model: r.model.trim() || null }));

/** Rows of period, limit and model, with add and remove: as many budgets as the owner needs. */
export function BudgetsEditor({ rows, onChange }: { rows: BudgetRow[]; onChange: (rows: BudgetRow[]) => void }) {
  const set = (i: number, change: Partial<BudgetRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset className="budgets" aria-label="budgets">
      <legend>Budgets (USD)</legend>
      {rows.length === 0 && <span className="muted">none</span>}
      {rows.map((r, i) => (
        <div className="row" key={i} data-budget-row={i}>
          <select aria-label="period" name="period" value={r.period} onChange={(e) => set(i, { period: e.target.value as BudgetRow["period"] })}>
            <option value="day">per day (UTC)</option>
            <option value="month">per month (UTC)</option>
            <option value="total">in total</option>
          </select>
          <input
            aria-label="limit in USD"
            name="limit"
            type="number"
            min={0.000001}
            step="any"
            required
            placeholder="USD"
            value={r.limit}
            onChange={(e) => set(i, { limit: e.target.value })}
          />
          <input aria-label="model (optional)" name="model" placeholder="every model" value={r.model} onChange={(e) => set(i, { model: e.target.value })} />
          <button type="button" aria-label="remove budget" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { period: "month", limit: "", model: "" }])}>
        Add budget
      </button>
    </fieldset>
  );
}

/** Each budget: what its period spent of its limit, what is left, and the soft-limit mark. */
export function BudgetList({ budgets, alertPercent }: { budgets: BudgetStatus[]; alertPercent: number }) {
  if (!budgets.length) return <div className="muted">no budget</div>;
  return (
    <ul className="budget-list">
      {budgets.map((b, i) => (
        <li key={i} data-budget={`${b.period}${b.model ? `:${b.model}` : ""}`}>
          {usd(b.spentUsd)} {PERIOD_WORDS[b.period]} of {usd(b.limit_usd)}
          {b.model ? ` on ${b.model}` : ""}{" "}
          {b.remainingUsd <= 0 ? (
            // Spent: say what that means for the key's requests, and until when.
            <span className="bad" data-exhausted>
              · exhausted: requests are refused (429 budget_exceeded)
              {b.resetsAt ? ` until ${new Date(b.resetsAt).toLocaleString()}` : " until the budget is raised"}
            </span>
          ) : (
            <>
              <span className="muted">· {usd(b.remainingUsd)} left</span>
              {b.alerting && (
                <span className="bad" data-alert>
                  {" "}
                  over {alertPercent}%
                </span>
              )}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
