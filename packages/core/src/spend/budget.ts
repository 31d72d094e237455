/**
 * Budgets on API keys: USD per UTC day, per UTC month, or in total. A request reserves its worst-case cost when it
 * starts (its prompt estimated, its max_tokens at the output price of the dearest candidate provider) and settles
 * to its real cost when it ends. The check and the reservation are one step (synchronous here; one Lua script in
 * Redis), and a request is refused only once a period's spend, reservations included, has reached its limit: so
 * concurrent requests overshoot a budget by at most one request's reservation.
 *
 * Spend is durable in the database: each period's counter starts from the request log's sum of costs for that key
 * (`SpendSource`), so a restart or a Redis flush loses nothing that was logged.
 */
import { GatewayError } from "../errors.js";

export type BudgetPeriod = "day" | "month" | "total";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["day", "month", "total"];

/** USD limits per period; null or absent: no limit for that period. */
export type BudgetLimits = Partial<Record<BudgetPeriod, number | null>>;

/** What the key spent since `since` (null: ever), from the durable record (the request log). */
export type SpendSource = (keyId: string, since: Date | null) => Promise<number>;

/**
 * What a key spent, from the record; the record unreachable (a database outage) is a 503 the client can retry,
 * never a 500: a budget that cannot be counted is not spent on.
 */
export async function readSpend(source: SpendSource, keyId: string, since: Date | null): Promise<number> {
  try {
    return await source(keyId, since);
  } catch (err) {
    console.warn(`[budget] spend of ${keyId} unreadable: ${(err as Error)?.message ?? err}`);
    throw new GatewayError(
      503,
      "service_unavailable",
      "database_unavailable",
      "The gateway cannot count this API key's budget right now (its database is unreachable): try again shortly.",
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

/** The budgets a key has, in period order. */
export function budgetsOf(limits: BudgetLimits | null | undefined): Array<{ period: BudgetPeriod; limit: number }> {
  if (!limits) return [];
  return BUDGET_PERIODS.flatMap((period) => (typeof limits[period] === "number" ? [{ period, limit: limits[period] }] : []));
}

const PERIOD_WORDS: Record<BudgetPeriod, string> = { day: "daily", month: "monthly", total: "total" };

export function budgetExceeded(period: BudgetPeriod, limit: number, spent: number, now: number): GatewayError {
  const { end } = periodOf(period, now);
  const resets = end ? ` It resets at ${end.toISOString()}.` : " It does not reset: raise it in the dashboard.";
  return new GatewayError(
    429,
    "rate_limit_error",
    "budget_exceeded",
    `This API key's ${PERIOD_WORDS[period]} budget of $${limit} is spent ($${spent.toFixed(6)} so far).${resets}`,
    end ? { headers: { "retry-after": String(Math.max(1, Math.ceil((end.getTime() - now) / 1000))) } } : {},
  );
}

/** A reservation made: what to settle. */
export interface Reservation {
  keyId: string;
  /** Counter ids per period, as reserved (a settlement after a period ended still lands in the right one). */
  counters: Array<{ period: BudgetPeriod; id: string }>;
  nano: number;
  /** Made on the replicas' shared counters (Redis), not this replica's own. */
  shared?: boolean;
}

export interface BudgetLedger {
  /** Reserves `usd` in each budgeted period of the key, or throws the 429 of the first period already spent. */
  reserve(keyId: string, limits: BudgetLimits, usd: number): Promise<Reservation>;
  /** Replaces a reservation with what the request cost (0 releases it). */
  settle(reservation: Reservation, usd: number): Promise<void>;
  /** What the key has spent in each of its budgeted periods, reservations in flight included. */
  spent(keyId: string, limits: BudgetLimits): Promise<Partial<Record<BudgetPeriod, number>>>;
  /** True the first time it is asked for `id` (an alert sent once per key and period, on every replica alike). */
  claim(id: string, ttlMs: number | null): Promise<boolean>;
  close?(): Promise<void>;
}

/** One replica's ledger, counters seeded from the durable record. */
export class MemoryBudgetLedger implements BudgetLedger {
  private readonly counters = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<void>>();

  constructor(
    private readonly source: SpendSource,
    private readonly now: () => number = Date.now,
  ) {}

  private key(keyId: string, period: BudgetPeriod, id: string): string {
    return `${keyId}\u0000${period}\u0000${id}`;
  }

  /** Loads a counter from the record once; concurrent first requests share the one query. */
  private async seed(keyId: string, period: BudgetPeriod, now: number): Promise<string> {
    const { id, start } = periodOf(period, now);
    const key = this.key(keyId, period, id);
    if (this.counters.has(key)) return key;
    let pending = this.seeding.get(key);
    if (!pending) {
      // Shared by the requests that arrive meanwhile; forgotten once done, so a failed read is tried again.
      pending = readSpend(this.source, keyId, start)
        .then((usd) => void (this.counters.has(key) || this.counters.set(key, toNano(usd))))
        .finally(() => this.seeding.delete(key));
      this.seeding.set(key, pending);
    }
    await pending;
    return key;
  }

  async reserve(keyId: string, limits: BudgetLimits, usd: number): Promise<Reservation> {
    const now = this.now();
    const budgets = budgetsOf(limits);
    const keys = await Promise.all(budgets.map((b) => this.seed(keyId, b.period, now)));
    // Check every period, then add to every period, with no await between: one step on this event loop.
    budgets.forEach((b, i) => {
      const spent = this.counters.get(keys[i]!)!;
      if (spent >= toNano(b.limit)) throw budgetExceeded(b.period, b.limit, fromNano(spent), now);
    });
    const nano = toNano(usd);
    for (const key of keys) this.counters.set(key, this.counters.get(key)! + nano);
    return { keyId, counters: budgets.map((b) => ({ period: b.period, id: periodOf(b.period, now).id })), nano };
  }

  async settle(reservation: Reservation, usd: number): Promise<void> {
    const delta = toNano(usd) - reservation.nano;
    for (const c of reservation.counters) {
      const key = this.key(reservation.keyId, c.period, c.id);
      const value = this.counters.get(key);
      if (value !== undefined) this.counters.set(key, value + delta);
    }
  }

  async spent(keyId: string, limits: BudgetLimits): Promise<Partial<Record<BudgetPeriod, number>>> {
    const now = this.now();
    const out: Partial<Record<BudgetPeriod, number>> = {};
    for (const { period } of budgetsOf(limits)) out[period] = fromNano(this.counters.get(await this.seed(keyId, period, now))!);
    return out;
  }

  private readonly claimed = new Set<string>();
  async claim(id: string): Promise<boolean> {
    if (this.claimed.has(id)) return false;
    if (this.claimed.size > 100_000) this.claimed.clear(); // bounded: at worst an alert is sent twice
    this.claimed.add(id);
    return true;
  }
}

/** One request's budget: reserved when it starts, settled on its logged cost when it ends. */
export class BudgetMeter {
  private reservation: Reservation | null = null;

  constructor(
    private readonly ledger: BudgetLedger,
    private readonly keyId: string,
    private readonly limits: BudgetLimits,
    /** Runs once the request's cost is settled (the soft-limit alerts look then). */
    private readonly onSettled?: () => Promise<void>,
  ) {}

  async reserve(usd: number): Promise<void> {
    this.reservation = await this.ledger.reserve(this.keyId, this.limits, usd);
  }

  /** The real cost replaces the reservation; a request that cost nothing (refused, failed) releases it. */
  settle(cost: number | null): void {
    const reservation = this.reservation;
    if (!reservation) return;
    this.reservation = null;
    this.ledger
      .settle(reservation, cost ?? 0)
      .then(() => this.onSettled?.())
      .catch((err: Error) => console.warn(`[budget] settling ${this.keyId}: ${err.message}`));
  }
}
