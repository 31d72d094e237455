import { describe, expect, it } from "vitest";
import { redact, secretsOf } from "./redact.js";

describe("redact", () => {
  it("removes the request's own credentials and anything token-shaped", () => {
    const secrets = secretsOf({ authorization: "Bearer weird-secret-value", "content-type": "application/json" });
    expect(redact("Incorrect API key provided: Bearer weird-secret-value.", secrets)).toBe("Incorrect API key provided: [redacted].");
    expect(redact("bad key weird-secret-value", secrets)).toBe("bad key [redacted]");
    expect(redact("Incorrect API key provided: sk-proj-abcdefghijklmnop1234. You can find yours at …")).not.toMatch(/sk-proj/);
    expect(redact("key AIzaSyA1234567890abcdefghijklmnop is invalid")).toBe("key [redacted] is invalid");
    expect(redact("token hf_abcdefghijklmnopqrstu rejected")).toBe("token [redacted] rejected");
  });

  it("finds a key sent as x-api-key or as a ?key= query parameter", () => {
    expect(secretsOf({ "x-api-key": "ant-api-key-123456" })).toEqual(["ant-api-key-123456"]);
    expect(secretsOf({}, "https://example.com/v1/models/m:generateContent?key=google-key-7890")).toEqual(["google-key-7890"]);
  });

  it("bounds the text after redacting, so a secret cut in half cannot pass", () => {
    const secret = "s3cr3t-value-xyz";
    const text = `${"a".repeat(95)}${secret}`;
    const out = redact(text, [secret], 100);
    expect(out).not.toContain("s3cr3");
    expect(out.length).toBeLessThanOrEqual(101);
  });
});
