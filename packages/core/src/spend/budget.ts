/**
 * Budgets on API keys and on teams: USD per UTC day, per UTC month, or in total, on every model or on one. A request
 * reserves its worst-case cost when it starts (its prompt estimated, its max_tokens at the output price of the
 * dearest candidate provider) in every budget that counts it, and settles to its real cost when it ends. The check
 * and the reservation are one step (synchronous here; one Lua script in Redis), and a request is refused only once a
 * period's spend, reservations included, has reached its limit: so concurrent requests overshoot a budget by at
 * most one request's reservation.
 *
 * Spend is durable in the database: each period's counter starts from the request log's sum of costs for that key
 * or team (and model) (`SpendSource`), so a restart or a Redis flush loses nothing that was logged.
 */
import { z } from "zod";
import { GatewayError } from "../errors.js";

export type BudgetPeriod = "day" | "month" | "total";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["day", "month", "total"];

/**
 * One budget as an admin sets it on a key or a team (stored as JSON, edited in the dashboard): a limit per period,
 * on every model or only on requests for `model` (the model id as clients ask for it).
 */
export const budgetRuleSchema = z.object({
  period: z.enum(["day", "month", "total"]),
  limit_usd: z.number().positive().finite(),
  model: z.string().trim().min(1).max(200).nullish(),
});
export type BudgetRule = z.infer<typeof budgetRuleSchema>;

export const budgetRulesSchema = z
  .array(budgetRuleSchema)
  .max(50)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    for (const [i, r] of rules.entries()) {
      const id = `${r.period} ${r.model ?? ""}`;
      if (seen.has(id)) {
        ctx.addIssue({ code: "custom", path: [i], message: `two ${r.period} budgets${r.model ? ` for model ${r.model}` : ""}: keep one` });
      }
      seen.add(id);
    }
  });

/** Whose spend a budget counts: one key's or one team's, on every model or on one. */
export interface SpendScope {
  owner: "key" | "team";
  ownerId: string;
  /** Only requests for this model (as the client named it); absent: every model. */
  model?: string | null;
}

/** A budget as the gateway enforces it: a rule and whose it is. */
export interface Budget extends SpendScope {
  /** The team's name, for messages (keys are "this API key"). */
  ownerName?: string;
  period: BudgetPeriod;
  /** USD. */
  limit: number;
}

/** The budgets of a key or team, from its stored rules. */
export function budgetsFor(owner: Budget["owner"], ownerId: string, rules: readonly BudgetRule[] | null | undefined, ownerName?: string): Budget[] {
  return (rules ?? []).map((r) => ({ owner, ownerId, ...(ownerName ? { ownerName } : {}), period: r.period, limit: r.limit_usd, model: r.model ?? null }));
}

/** What a key or team spent since `since` (null: ever), from the durable record (the request log). */
export type SpendSource = (scope: SpendScope, since: Date | null) => Promise<number>;

const whose = (s: SpendScope & { ownerName?: string }) => (s.owner === "key" ? "this API key" : `team ${s.ownerName ?? s.ownerId}`);

/**
 * What a key or team spent, from the record; the record unreachable (a database outage) is a 503 the client can
 * retry, never a 500: a budget that cannot be counted is not spent on.
 */
export async function readSpend(source: SpendSource, scope: SpendScope, since: Date | null): Promise<number> {
  try {
    return await source(scope, since);
  } catch (err) {
    console.warn(`[budget] spend of ${scope.owner} ${scope.ownerId} unreadable: ${(err as Error)?.message ?? err}`);
    throw new GatewayError(
      503,
      "service_unavailable",
      "database_unavailable",
      `The gateway cannot count ${whose(scope)}'s budget right now (its database is unreachable): try again shortly.`,
      { headers: { "retry-after": "5" } },
    );
  }
}

/** Integer nano-dollars: sums of many small costs stay exact, in memory and in Redis. */
export const toNano = (usd: number) => Math.round(usd * 1e9);
export const fromNano = (nano: number) => nano / 1e9;

/** The period `now` falls in: its id (for counter keys), start, and end (null for "total": it never resets). */
export function periodOf(period: BudgetPeriod, now: number): { id: string; start: Date | null; end: Date | null } {
  const d = new Date(now);
  if (period === "total") return { id: "total", start: null, end: null };
  if (period === "day") {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { id: new Date(start).toISOString().slice(0, 10), start: new Date(start), end: new Date(start + 86_400_000) };
  }
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return { id: new Date(start).toISOString().slice(0, 7), start: new Date(start), end: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) };
}

/**
 * The counter of a budget in the period `now` falls in: owner, period and period id, then the model (last, so a
 * model id with any characters in it cannot make two counters' ids collide).
 */
export function counterId(b: Budget, now: number): string {
  return `${b.owner}:${b.ownerId}:${b.period}:${periodOf(b.period, now).id}${b.model ? `:model:${b.model}` : ""}`;
}

const PERIOD_WORDS: Record<BudgetPeriod, string> = { day: "daily", month: "monthly", total: "total" };

/** How a budget is named to people: "This API key's daily budget of $5 for model gpt-4o". */
export function describeBudget(b: Budget): string {
  const owner = b.owner === "key" ? "This API key's" : `Team ${b.ownerName ?? b.ownerId}'s`;
  return `${owner} ${PERIOD_WORDS[b.period]} budget of $${b.limit}${b.model ? ` for model ${b.model}` : ""}`;
}

export function budgetExceeded(b: Budget, spent: number, now: number): GatewayError {
  const { end } = periodOf(b.period, now);
  const resets = end ? ` It resets at ${end.toISOString()}.` : " It does not reset: raise it in the dashboard.";
  return new GatewayError(
    429,
    "rate_limit_error",
    "budget_exceeded",
    `${describeBudget(b)} is spent ($${spent.toFixed(6)} so far).${resets}`,
    end ? { headers: { "retry-after": String(Math.max(1, Math.ceil((end.getTime() - now) / 1000))) } } : {},
  );
}

/** A reservation made: what to settle. */
export interface Reservation {
  /** The counters reserved in (a settlement after a period ended still lands in the period it reserved in). */
  counters: string[];
  nano: number;
  /** Made on the replicas' shared counters (Redis), not this replica's own. */
  shared?: boolean;
}

export interface BudgetLedger {
  /** Reserves `usd` in every one of `budgets`, or throws the 429 of the first one already spent. */
  reserve(budgets: readonly Budget[], usd: number): Promise<Reservation>;
  /** Replaces a reservation with what the request cost (0 releases it). */
  settle(reservation: Reservation, usd: number): Promise<void>;
  /** What has been spent in each budget's current period (in `budgets` order), reservations in flight included. */
  spent(budgets: readonly Budget[]): Promise<number[]>;
  /** True the first time it is asked for `id` (an alert sent once per budget and period, on every replica alike). */
  claim(id: string, ttlMs: number | null): Promise<boolean>;
  close?(): Promise<void>;
}

/**
 * One replica's ledger, counters seeded from the durable record. With `share` (the replicas counting alone, while
 * the ledger they share is unreachable), each may spend only its share of what a budget had left when its counter
 * was seeded: the replicas together then stay within the budget.
 */
export class MemoryBudgetLedger implements BudgetLedger {
  private readonly counters = new Map<string, number>();
  /** What the record said each counter had spent when it was seeded (nano-dollars). */
  private readonly seeded = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<void>>();

  constructor(
    private readonly source: SpendSource,
    private readonly now: () => number = Date.now,
    private readonly share: () => number = () => 1,
  ) {}

  /** The most a counter may reach here: the limit, or, shared by `n` replicas, the record plus 1/n of the rest. */
  private ceiling(b: Budget, key: string): number {
    const limit = toNano(b.limit);
    const n = Math.max(1, Math.floor(this.share()));
    if (n === 1) return limit;
    const base = this.seeded.get(key) ?? 0;
    return base + Math.max(0, limit - base) / n;
  }

  /** Loads a counter from the record once; concurrent first requests share the one query. */
  private async seed(b: Budget, now: number): Promise<string> {
    const key = counterId(b, now);
    if (this.counters.has(key)) return key;
    let pending = this.seeding.get(key);
    if (!pending) {
      // Shared by the requests that arrive meanwhile; forgotten once done, so a failed read is tried again.
      pending = readSpend(this.source, b, periodOf(b.period, now).start)
        .then((usd) => {
          if (this.counters.has(key)) return;
          this.counters.set(key, toNano(usd));
          this.seeded.set(key, toNano(usd));
        })
        .finally(() => this.seeding.delete(key));
      this.seeding.set(key, pending);
    }
    await pending;
    return key;
  }

  async reserve(budgets: readonly Budget[], usd: number): Promise<Reservation> {
    const now = this.now();
    const keys = await Promise.all(budgets.map((b) => this.seed(b, now)));
    // Check every budget, then add to every counter, with no await between: one step on this event loop.
    budgets.forEach((b, i) => {
      const spent = this.counters.get(keys[i]!)!;
      if (spent >= this.ceiling(b, keys[i]!)) throw budgetExceeded(b, fromNano(spent), now);
    });
    const nano = toNano(usd);
    const counters = [...new Set(keys)];
    for (const key of counters) this.counters.set(key, this.counters.get(key)! + nano);
    return { counters, nano };
  }

  async settle(reservation: Reservation, usd: number): Promise<void> {
    const delta = toNano(usd) - reservation.nano;
    for (const key of reservation.counters) {
      const value = this.counters.get(key);
      if (value !== undefined) this.counters.set(key, value + delta);
    }
  }

  async spent(budgets: readonly Budget[]): Promise<number[]> {
    const now = this.now();
    return Promise.all(budgets.map(async (b) => fromNano(this.counters.get(await this.seed(b, now))!)));
  }

  private readonly claimed = new Set<string>();
  async claim(id: string): Promise<boolean> {
    if (this.claimed.has(id)) return false;
    if (this.claimed.size > 100_000) this.claimed.clear(); // bounded: at worst an alert is sent twice
    this.claimed.add(id);
    return true;
  }
}

/** One request's budgets: reserved when it starts, settled on its logged cost when it ends. */
export class BudgetMeter {
  /** The reservation in the budgets of every model (the key's and team's), and one per model in that model's. */
  private reservations: Array<{ model: string | null; reservation: Reservation; budgets: Budget[] }> = [];

  constructor(
    private readonly ledger: BudgetLedger,
    /** Every budget of the key and its team; those of other models are left out when the model is known. */
    private readonly budgets: readonly Budget[],
    /** Runs once the request's cost is settled, with the budgets it counted in (the soft-limit alerts look then). */
    private readonly onSettled?: (budgets: Budget[]) => Promise<void>,
  ) {}

  /**
   * Reserves `usd` in the budgets that count a request served by any of `models` (the candidates' model ids): the
   * budgets without a model, and each model's own. Refused by any, the request takes nothing from the others.
   */
  async reserve(usd: number, models: readonly (string | null | undefined)[]): Promise<void> {
    const groups: Array<{ model: string | null; budgets: Budget[] }> = [{ model: null, budgets: this.budgets.filter((b) => !b.model) }];
    for (const model of new Set(models)) {
      const own = model ? this.budgets.filter((b) => b.model === model) : [];
      if (own.length) groups.push({ model: model!, budgets: own });
    }
    try {
      for (const g of groups) if (g.budgets.length) this.reservations.push({ ...g, reservation: await this.ledger.reserve(g.budgets, usd) });
    } catch (err) {
      this.settle(0, null);
      throw err;
    }
  }

  /**
   * The real cost replaces the reservations: in the budgets of every model and in those of `servedModel`; the other
   * models' reservations are released. A request that cost nothing (refused, failed) releases them all.
   */
  settle(cost: number | null, servedModel: string | null | undefined): void {
    const reservations = this.reservations;
    if (!reservations.length) return;
    this.reservations = [];
    const counted: Budget[] = [];
    const settled = reservations.map((r) => {
      const counts = r.model === null || r.model === servedModel;
      if (counts) counted.push(...r.budgets);
      return this.ledger.settle(r.reservation, counts ? (cost ?? 0) : 0);
    });
    Promise.all(settled)
      .then(() => this.onSettled?.(counted))
      .catch((err: Error) => console.warn(`[budget] settling: ${err.message}`));
  }
}
