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

  it("removes the common secrets people paste into prompts: AWS, GitHub, Slack, Stripe, Google OAuth, JWTs, PEM keys", () => {
    const secrets = {
      aws: "AKIA2E0A8F3B244C9986",
      awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCY1234567890",
      github: "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",
      githubPat: "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789",
      slack: "xoxb-1234567890-1234567890-abcdefghijklmnopqrstuvwx",
      stripe: "sk_live_51H8abcdefghijklmnopqrstuv",
      oauth: "ya29.a0AfH6SMBx1234567890abcdefghijklmnop",
      jwt: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    };
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumwYmKJ6MvbEQdIBq5nHL2lYh\n-----END RSA PRIVATE KEY-----";
    const prompt = [
      `my access key is ${secrets.aws} and aws_secret_access_key = ${secrets.awsSecret}`,
      `tokens ${secrets.github}, ${secrets.githubPat}, ${secrets.slack}, ${secrets.stripe}, ${secrets.oauth}`,
      `session ${secrets.jwt}`,
      `key:\n${pem}\nthanks`,
    ].join("\n");
    // As a log stores a body: JSON, its newlines escaped.
    for (const text of [prompt, JSON.stringify({ content: prompt })]) {
      const out = redact(text, [], 100_000);
      for (const [name, value] of Object.entries(secrets)) expect(out, name).not.toContain(value);
      expect(out).not.toContain("MIIEpAIBAAKCAQEA");
      expect(out).toContain("thanks");
      expect(out).toContain("my access key is [redacted]");
    }
    // A private key cut by the body cap is still removed, to the end.
    expect(redact("x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC")).toBe("x [redacted]");
    // Ordinary text and look-alikes stay.
    const plain = "AKIA is a prefix; ghp_ too; eyJ alone; 40 chars: 0123456789012345678901234567890123456789";
    expect(redact(plain)).toBe(plain);
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
