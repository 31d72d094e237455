/**
 * Errors the gateway answers with, always in OpenAI's envelope: {"error":{"message","type","code"}}.
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
        ...(this.extra.param ? { param: this.extra.param } : {}),
        ...this.extra.details,
      },
    };
  }
}

export const badRequest = (code: string, message: string, param?: string) =>
  new GatewayError(400, "invalid_request_error", code, message, param ? { param } : {});

export const notFound = (code: string, message: string) => new GatewayError(404, "not_found_error", code, message);

/**
 * A provider call that failed. `retryable` says whether the next provider (or a retry) may succeed where this
 * one did not; `status` is the upstream's HTTP status when there was one.
 */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: "connection" | "timeout" | "http" | "protocol" | "aborted" | "unsupported",
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }

  /** Whether another provider should be tried after this failure. */
  get failover(): boolean {
    if (this.kind === "aborted") return false;
    if (this.kind !== "http") return true;
    const s = this.status ?? 0;
    // Auth errors fail over too: a broken key on one provider should not take the request down.
    return s >= 500 || s === 429 || s === 401 || s === 403 || s === 404 || s === 408;
  }
}

/** Turns anything thrown into a client-safe GatewayError: no stack traces, no internals. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(500, "server_error", "internal_error", "The gateway hit an internal error.");
}
