/**
 * Errors the gateway answers with, always in OpenAI's envelope: {"error":{"message","type","param","code"}}.
 */

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "upstream_error"
  | "server_error"
  | "service_unavailable";

export interface ErrorBody {
  error: { message: string; type: ErrorType; code: string | null; param?: string | null; [extra: string]: unknown };
}

/** An error that becomes an HTTP answer to the client as it is. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly extra: { param?: string; headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "GatewayError";
  }

  toBody(): ErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        // Always present, null when no parameter is at fault: OpenAI's error schema requires the field.
        param: this.extra.param ?? null,
        ...this.extra.details,
      },
    };
  }
}

export const badRequest = (code: string, message: string, param?: string) =>
  new GatewayError(400, "invalid_request_error", code, message, param ? { param } : {});

export const notFound = (code: string, message: string) => new GatewayError(404, "not_found_error", code, message);

/**
 * A provider call that failed. `status` is the upstream's HTTP status and `code` its own error code (OpenAI's
 * `code` or `type`, Anthropic's `error.type`, Google's `status`) when there was one; routing/failure.ts decides
 * what the failure means (fail over, retry, charge the circuit breaker).
 */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: "connection" | "timeout" | "http" | "protocol" | "aborted" | "unsupported",
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/** Turns anything thrown into a client-safe GatewayError: no stack traces, no internals. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(500, "server_error", "internal_error", "The gateway hit an internal error.");
}
