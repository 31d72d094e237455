/**
 * Tokens per minute for one request of a TPM-limited key: an estimate is reserved when the request starts (so
 * eight concurrent streams cannot each pass the check before any of them is counted), and settled on the real
 * usage when the request ends, or on what a cut stream delivered when the provider never reported usage.
 */
import type { RateLimiter } from "./limiter.js";
import type { RequestLogEntry } from "../logging/types.js";

/** Completion tokens reserved for a request that sets no max_tokens (README: "Rate limits"). */
export const DEFAULT_COMPLETION_RESERVE = 512;

/** About four characters a token in the languages and JSON these requests carry: an estimate, settled later. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

export class TokenMeter {
  private reserved = 0;
  private promptEstimate = 0;
  private window = 0;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly key: string,
    private readonly tpm: number,
  ) {}

  /** Reserves the request's prompt (estimated) and its completion tokens (every answer's); a 429 when none is left. */
  async reserve(promptEstimate: number, completionTokens: number): Promise<void> {
    const tokens = promptEstimate + completionTokens;
    this.window = await this.limiter.reserveTokens(this.key, tokens, this.tpm);
    this.promptEstimate = promptEstimate;
    this.reserved = tokens;
  }

  /**
   * Replaces the reservation with what the request used: the provider's usage, else (a cut stream, a provider
   * that reports none) the prompt estimate plus what was delivered; nothing when nothing was delivered.
   */
  settle(entry: Pick<RequestLogEntry, "totalTokens">, deliveredChars: number): void {
    if (!this.reserved) return;
    const used = entry.totalTokens ?? (deliveredChars > 0 ? this.promptEstimate + estimateTokens(deliveredChars) : 0);
    this.limiter.addTokens(this.key, used - this.reserved, this.window);
    this.reserved = 0;
  }
}
