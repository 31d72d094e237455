/** Errors on the Messages routes, in Anthropic's shape: {"type":"error","error":{"type","message"},"request_id"}. */
import type { GatewayError } from "../../errors.js";

/** Anthropic's error type for a status (its SDKs pick their exception class from the status, clients log the type). */
export function anthropicErrorType(e: GatewayError): string {
  if (e.type === "authentication_error" || e.status === 401) return "authentication_error";
  if (e.type === "permission_error" || e.status === 403) return "permission_error";
  switch (e.status) {
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return e.status >= 500 ? "api_error" : "invalid_request_error";
  }
}

export function anthropicErrorBody(e: GatewayError, requestId: string): Record<string, unknown> {
  return { type: "error", error: { type: anthropicErrorType(e), message: e.message }, request_id: requestId };
}
