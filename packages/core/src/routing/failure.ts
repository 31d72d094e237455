/**
 * The one failure classifier: every failed provider call is given a named class, and the class alone decides
 * whether the router fails over to the next provider, retries on the same one, and charges the provider's circuit
 * breaker. Only failures the provider caused are charged: a client's bad request (an unknown model, a malformed
 * parameter) must never let one key holder open a provider's circuit for everybody.
 */
import { UpstreamError } from "../errors.js";

export type FailureClass =
  /** Connection refused or reset, or an upstream 5xx: a second try (or another provider) may well succeed. */
  | "transient"
  /** No answer in time (connect, first byte, idle gap): already slow, so no second try on the same provider. */
  | "timeout"
  /** 429 that is a busy signal: try again after its wait, or elsewhere. Busy is not broken. */
  | "rate_limit"
  /** Out of credit or quota (OpenAI's 429 insufficient_quota, 402): will not pass soon, so skip the provider. */
  | "quota"
  /** The gateway's own credential was refused (401/403): the provider's setup is broken, not the request. */
  | "credential"
  /** This provider does not have the model (404 model_not_found): another may; the client chose the model. */
  | "model_unavailable"
  /** The prompt is larger than this model's window: a candidate with a larger one may take it. */
  | "context_length"
  /** The request itself was refused (400, 413, 422, other 4xx): the client's error, answered as such. */
  | "client_error"
  /** The answer could not be understood (bad JSON, broken stream framing, an oversized event). */
  | "protocol"
  /** The adapter cannot do what the request asks on this provider. */
  | "unsupported"
  /** The client went away: nothing more is tried and nobody is blamed. */
  | "aborted";

export interface FailurePolicy {
  failover: boolean;
  retry: boolean;
  /** Whether the failure counts against the provider's circuit breaker. */
  chargesBreaker: boolean;
}

export const FAILURE_POLICY: Record<FailureClass, FailurePolicy> = {
  transient: { failover: true, retry: true, chargesBreaker: true },
  timeout: { failover: true, retry: false, chargesBreaker: true },
  rate_limit: { failover: true, retry: true, chargesBreaker: false },
  quota: { failover: true, retry: false, chargesBreaker: true },
  credential: { failover: true, retry: false, chargesBreaker: true },
  model_unavailable: { failover: true, retry: false, chargesBreaker: false },
  context_length: { failover: true, retry: false, chargesBreaker: false },
  client_error: { failover: false, retry: false, chargesBreaker: false },
  protocol: { failover: true, retry: false, chargesBreaker: true },
  unsupported: { failover: true, retry: false, chargesBreaker: false },
  aborted: { failover: false, retry: false, chargesBreaker: false },
};

export interface Failure extends FailurePolicy {
  class: FailureClass;
  error: UpstreamError;
}

/** Provider error codes (OpenAI's `code`/`type`, Anthropic's `type`, Google's `status`) that mean billing. */
const QUOTA_CODES = new Set(["insufficient_quota", "billing_hard_limit_reached", "billing_not_active", "credit_balance_too_low"]);
/** Anthropic has no code for an empty balance: it answers 400 with this wording. */
const QUOTA_TEXT = /credit balance is too low|exceeded your current quota|billing/i;

/**
 * How each family says a prompt is too long: OpenAI's code, Anthropic's "prompt is too long", Gemini's "exceeds
 * the maximum number of tokens", and the wording of llama.cpp, vLLM and Ollama servers.
 */
const CONTEXT_CODES = new Set(["context_length_exceeded", "string_above_max_length"]);
const CONTEXT_TEXT =
  /context[_ ]length|context window|maximum context|prompt is too long|exceeds the maximum number of tokens|input is too long|too many tokens|exceeds the available context size/i;

export function classifyUpstream(err: UpstreamError): FailureClass {
  switch (err.kind) {
    case "aborted":
      return "aborted";
    case "timeout":
      return "timeout";
    case "connection":
      return "transient";
    case "protocol":
      return "protocol";
    case "unsupported":
      return "unsupported";
    case "http":
      break;
  }
  const status = err.status ?? 0;
  const code = err.code ?? "";
  if (status === 402 || QUOTA_CODES.has(code)) return "quota";
  if (status === 429) return QUOTA_TEXT.test(err.message) ? "quota" : "rate_limit";
  if (status === 408 || status >= 500) return "transient";
  if (status === 401 || status === 403) return "credential";
  // A 404 is the model (or the route for it) missing there: the client picked the model, so it never charges.
  if (status === 404) return "model_unavailable";
  if (status === 400 && QUOTA_TEXT.test(err.message)) return "quota";
  if ((status === 400 || status === 413 || status === 422) && (CONTEXT_CODES.has(code) || CONTEXT_TEXT.test(err.message))) return "context_length";
  return "client_error";
}

/** Classifies anything an adapter threw (a non-UpstreamError is a protocol failure of that provider). */
export function classify(err: unknown): Failure {
  const error = err instanceof UpstreamError ? err : new UpstreamError((err as Error)?.message ?? String(err), "protocol");
  const cls = classifyUpstream(error);
  return { class: cls, error, ...FAILURE_POLICY[cls] };
}
