import { describe, expect, it } from "vitest";
import { UpstreamError } from "../errors.js";
import { classify, FAILURE_POLICY } from "./failure.js";

const http = (status: number, message = `HTTP ${status}`, code?: string) => new UpstreamError(message, "http", status, undefined, code);

describe("the failure classifier", () => {
  it.each([
    [new UpstreamError("connection refused", "connection"), "transient"],
    [new UpstreamError("no response within 10 ms", "timeout"), "timeout"],
    [new UpstreamError("request aborted by the client", "aborted"), "aborted"],
    [new UpstreamError("malformed stream event", "protocol"), "protocol"],
    [http(500), "transient"],
    [http(529, "HTTP 529: Overloaded", "overloaded_error"), "transient"],
    [http(408), "transient"],
    [http(429, "HTTP 429: Rate limit reached for requests", "rate_limit_exceeded"), "rate_limit"],
    [http(429, "HTTP 429: You exceeded your current quota, please check your plan and billing details.", "insufficient_quota"), "quota"],
    [http(429, "HTTP 429: You exceeded your current quota"), "quota"],
    [http(402), "quota"],
    [http(400, "HTTP 400: Your credit balance is too low to access the Anthropic API.", "invalid_request_error"), "quota"],
    [http(401, "HTTP 401: Incorrect API key provided", "invalid_api_key"), "credential"],
    [http(403), "credential"],
    [http(404, "HTTP 404: The model `nope` does not exist", "model_not_found"), "model_unavailable"],
    [http(400, "HTTP 400: Unrecognized request argument supplied: foo", "invalid_request_error"), "client_error"],
    [http(413), "client_error"],
    [http(422), "client_error"],
  ] as const)("%s is %s", (err, expected) => {
    expect(classify(err).class).toBe(expected);
  });

  it("treats anything that is not an UpstreamError as a protocol failure of the provider", () => {
    const f = classify(new TypeError("cannot read properties of undefined"));
    expect(f.class).toBe("protocol");
    expect(f.error).toBeInstanceOf(UpstreamError);
  });

  it("charges the breaker only for failures the provider caused", () => {
    const charged = Object.entries(FAILURE_POLICY)
      .filter(([, p]) => p.chargesBreaker)
      .map(([c]) => c)
      .sort();
    expect(charged).toEqual(["credential", "protocol", "quota", "timeout", "transient"]);
    expect(FAILURE_POLICY.client_error).toEqual({ failover: false, retry: false, chargesBreaker: false });
    expect(FAILURE_POLICY.model_unavailable.failover).toBe(true);
    expect(FAILURE_POLICY.quota.retry).toBe(false);
    expect(FAILURE_POLICY.rate_limit.retry).toBe(true);
  });
});
