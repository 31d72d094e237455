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
    // 10,000 ids overflow one millisecond's 4,096-count sequence: they borrow the next ones and stay in order.
    expect([...ids].sort()).toEqual([...ids]);
  });
});

describe("uuidv7 within one millisecond", () => {
  it("counts up, so ids made one after another sort in the order they were made", () => {
    const at = 1_800_000_000_000;
    const ids = Array.from({ length: 1_000 }, () => uuidv7(at));
    expect([...ids].sort()).toEqual(ids);
    // A back-dated id in between starts its own count; the next millisecond's ids sort after these.
    expect(uuidv7(at - 86_400_000) < ids[0]!).toBe(true);
    expect(uuidv7(at + 1) > ids[ids.length - 1]!).toBe(true);
  });
});
