import type { RoutePlan } from "../routing/router.js";
import type { CanonicalUsage } from "../canonical/types.js";
import type { Continuation } from "../canonical/continuation.js";
import { costOf, type ModelPrice } from "../spend/price.js";
import type { BudgetMeter } from "../spend/budget.js";
import type { RequestLogEntry, RequestLogSink } from "./types.js";
import { uuidv7 } from "./ids.js";
import type { TokenMeter } from "../ratelimit/meter.js";

/** The most of an error's text a log row keeps. */
export const MAX_ERROR_CHARS = 2_000;

/** Shared by every request whose answer had one provider (almost all): no array made per request. */
const NONE_SEALED: never[] = [];

/** Collects one request's log row as the request goes, and writes it exactly once. */
export class LogRecorder {
  readonly entry: RequestLogEntry;
  private readonly started = performance.now();
  private written = false;
  /** The key's TPM reservation, settled when the request ends (ratelimit/meter.ts). */
  meter: TokenMeter | null = null;
  /** The key's budget reservation, settled on the request's cost when it ends (spend/budget.ts). */
  budget: BudgetMeter | null = null;
  /** Characters of content and tool arguments sent to the client: what a cut stream delivered. */
  deliveredChars = 0;
  /** The request body's size, for estimating a cut stream's prompt. */
  requestBytes = 0;
  /** The model id (as clients name it) of the candidate that served: whose model budgets count the request. */
  servedModelId: string | null = null;
  /** The served model's price, once a provider serves (null: unknown, so no cost). */
  price: ModelPrice | null = null;
  private usage: CanonicalUsage | null = null;
  /** Earlier providers' parts of a continued answer (seal): their usage and cost, closed. */
  private sealed: Array<{ usage: CanonicalUsage; cost: number | null }> = NONE_SEALED;
  /** deliveredChars when the last part was sealed: the next part's estimate counts from there. */
  private sealedChars = 0;
  /** Images generated, for a route billed per image rather than per token. */
  images: number | null = null;
  /** Characters turned into speech, billed per character. */
  characters: number | null = null;

  constructor(
    private readonly sink: RequestLogSink | undefined,
    method: string,
    route: string,
    routePattern?: string,
  ) {
    this.entry = {
      id: uuidv7(),
      time: new Date(),
      apiKeyId: null,
      teamId: null,
      method,
      route,
      ...(routePattern ? { routePattern } : {}),
      model: null,
      requestedProviders: null,
      attempts: [],
      routing: null,
      provider: null,
      servedModel: null,
      status: 0,
      stream: false,
      latencyMs: 0,
      ttftMs: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      cost: null,
      costEstimated: false,
      audioSeconds: null,
      audioBytes: null,
      error: null,
    };
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.started);
  }

  markFirstToken(): void {
    this.entry.ttftMs ??= this.elapsedMs();
  }

  /** The serving provider's usage (of its part, when the answer was continued). */
  setUsage(usage: CanonicalUsage | null | undefined): void {
    if (!usage) return;
    this.usage = usage;
    this.showTokens();
  }

  private showTokens(): void {
    const total = this.usageTotal();
    if (!total) return;
    this.entry.promptTokens = total.inputTokens;
    this.entry.completionTokens = total.outputTokens;
    this.entry.totalTokens = total.inputTokens + total.outputTokens;
  }

  /** The whole answer's usage: every provider's part added, when it was continued. */
  usageTotal(): CanonicalUsage | null {
    if (!this.sealed.length) return this.usage;
    const parts = this.usage ? [...this.sealed.map((s) => s.usage), this.usage] : this.sealed.map((s) => s.usage);
    const total: CanonicalUsage = { inputTokens: 0, outputTokens: 0 };
    for (const u of parts) {
      total.inputTokens += u.inputTokens;
      total.outputTokens += u.outputTokens;
      for (const k of ["cachedInputTokens", "cacheWriteTokens", "reasoningTokens"] as const) if (u[k]) total[k] = (total[k] ?? 0) + u[k]!;
    }
    return total;
  }

  /** The cost so far: null until usage and a price are both known; a continued answer's parts added. */
  get cost(): number | null {
    const own = this.usage && this.price ? costOf(this.usage, this.price) : null;
    if (!this.sealed.length) return own;
    const costs = [...this.sealed.map((s) => s.cost), own].filter((c): c is number => c !== null);
    return costs.length ? Math.round(costs.reduce((a, b) => a + b, 0) * 1e9) / 1e9 : null;
  }

  /**
   * Closes the serving provider's part of an answer another provider will continue: its usage as reported, or,
   * cut before usage came, estimated (the request at four bytes a token, the text it delivered at four
   * characters), priced at its own price. The next provider's usage and price are its own part's.
   */
  seal(): void {
    let usage = this.usage;
    if (!usage) {
      usage = { inputTokens: Math.ceil(this.requestBytes / 4), outputTokens: Math.ceil((this.deliveredChars - this.sealedChars) / 4) };
      this.entry.costEstimated = true;
    }
    this.sealed = [...this.sealed, { usage, cost: this.price ? costOf(usage, this.price) : null }];
    this.sealedChars = this.deliveredChars;
    this.usage = null;
    this.price = null;
    this.showTokens();
  }

  /**
   * The row's cost: from the reported usage, or, for a stream cut before usage came, estimated at four characters
   * a token from the request body and what was delivered.
   */
  private settleCost(): void {
    if (!this.price) {
      if (this.sealed.length) this.entry.cost = this.cost;
      return;
    }
    if (this.images !== null) {
      if (this.price.per_image !== undefined) this.entry.cost = this.images * this.price.per_image;
      return;
    }
    if (this.characters !== null) {
      if (this.price.per_million_characters !== undefined) this.entry.cost = Math.round(this.characters * this.price.per_million_characters * 1000) / 1e9;
      return;
    }
    // Audio billed by the second (tokens, where reported, go by the token prices below).
    if (this.entry.audioSeconds !== null && this.price.per_audio_second !== undefined && !this.usage) {
      this.entry.cost = Math.round(this.entry.audioSeconds * this.price.per_audio_second * 1e9) / 1e9;
      return;
    }
    if (this.usage) {
      this.entry.cost = this.cost;
      return;
    }
    const chars = this.deliveredChars - this.sealedChars;
    if (!chars) {
      if (this.sealed.length) this.entry.cost = this.cost;
      return;
    }
    const estimate = costOf({ inputTokens: Math.ceil(this.requestBytes / 4), outputTokens: Math.ceil(chars / 4) }, this.price);
    this.entry.cost = Math.round(((this.cost ?? 0) + estimate) * 1e9) / 1e9;
    this.entry.costEstimated = true;
  }

  /** The answer was continued by another provider: the routing decision on the row says by whom and where. */
  continued(continuation: Continuation): void {
    this.entry.routing = { ...(this.entry.routing ?? { models: [], policy: null, fallback: null }), continued: continuation };
  }

  /** The plan's attempts (appended to as the request goes) and how the router ordered them. */
  setPlan(plan: RoutePlan): void {
    this.entry.attempts = plan.attempts;
    this.entry.routing = plan.decision ?? null;
  }

  finish(status: number, error?: string | null): void {
    if (this.written) return;
    this.written = true;
    this.entry.status = status;
    // Bounded: an error may quote what the client sent, and the dashboard's log page loads these rows.
    this.entry.error = error && error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}… (${error.length} characters)` : (error ?? null);
    this.entry.latencyMs = this.elapsedMs();
    this.settleCost();
    this.meter?.settle(this.entry, this.deliveredChars);
    this.budget?.settle(this.entry.cost, this.servedModelId ?? this.entry.model);
    this.sink?.write(this.entry);
  }
}
