/** The framework-free request/response the gateway handler works on; node:http and Web adapters convert. */
import type { AuthContext } from "../auth/types.js";

export interface GatewayHttpRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/chat/completions". */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** Reads the body, refusing more than `limit` bytes with a 413 GatewayError. */
  readBody(limit: number): Promise<Buffer>;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
  /** Ends `signal` early, with `reason` (the request's deadline), where the transport owns it. */
  abort?: (reason: unknown) => void;
  /**
   * Who the request is for, decided by an in-process caller that has authenticated the person itself (the
   * dashboard's playground): key authentication is skipped. Never set from the network: the transports build
   * requests without it.
   */
  principal?: AuthContext;
}

export interface GatewayHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** A string or bytes, or an async iterable for streams (SSE text, or bytes such as generated audio). */
  body?: string | Buffer | AsyncIterable<string | Uint8Array>;
}

export const JSON_HEADERS = { "content-type": "application/json" } as const;

export function json(status: number, value: unknown, headers: Record<string, string> = {}): GatewayHttpResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}
