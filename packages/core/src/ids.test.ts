import { describe, expect, it } from "vitest";
import { randomToken } from "./ids.js";

describe("randomToken", () => {
  it("gives fresh ids of the asked size and alphabet, across pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const hex = randomToken(16, "hex"); // 16 KB in all: the 4 KB pool refills several times
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(1000);
    expect(randomToken(12, "base64url")).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(randomToken(5000, "hex")).toHaveLength(10000); // larger than the pool
  });
});
