import { describe, expect, it } from "vitest";
import { uuidv7 } from "./ids.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("is a version 7, RFC 9562 variant UUID carrying the time in milliseconds", () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it("sorts by time, as text and as PostgreSQL's uuid, so the log's index grows at one end", () => {
    const times = [0, 1, 255, 256, 65_535, 1_700_000_000_000, Date.now(), 2 ** 48 - 1];
    const ids = times.map((t) => uuidv7(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("differs within one millisecond (74 random bits)", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });
});
