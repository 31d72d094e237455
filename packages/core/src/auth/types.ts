import type { RateLimits } from "../ratelimit/limiter.js";
import type { Budget } from "../spend/budget.js";
import type { StreamRecovery } from "../config/schema.js";

/** Who is calling /v1: the API key's id and what it may use. */
export interface AuthContext {
  keyId: string | null;
  /** When set, only these provider ids may serve the key's requests. */
  allowedProviders?: string[] | null;
  /** When set, only these model ids may be asked for. */
  allowedModels?: string[] | null;
  /** The key's requests and tokens per minute, enforced by the gateway's rate limiter. */
  limits?: RateLimits | null;
  /** The team the key belongs to, if any: its requests count in the team's spend and budgets too. */
  team?: { id: string; name: string; cache?: boolean | null } | null;
  /** The key's and its team's budgets, enforced by the gateway's budget ledger. */
  budgets?: Budget[] | null;
  /** The key's default for requests that do not set `stream_recovery` (set on the dashboard). */
  streamRecovery?: StreamRecovery | null;
  /** The response cache on or off for the key's requests (set on the dashboard); absent: its team's, else the config's. */
  cache?: boolean | null;
}

/** Checks the request's credentials; throws a GatewayError (401/403) to refuse. */
export type Authenticator = (headers: Record<string, string | undefined>) => Promise<AuthContext>;

export const ANONYMOUS: AuthContext = { keyId: null };
