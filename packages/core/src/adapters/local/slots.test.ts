import { describe, expect, it } from "vitest";
import { SlotPool } from "./slots.js";
import { UpstreamError } from "../../errors.js";

const live = () => new AbortController().signal;

describe("SlotPool", () => {
  it("hands out free slots, then queues, then refuses with 429", async () => {
    const pool = new SlotPool(["a", "b"], 1, 10_000);
    expect(await pool.acquire(live())).toBe("b");
    expect(await pool.acquire(live())).toBe("a");
    const queued = pool.acquire(live());
    await expect(pool.acquire(live())).rejects.toMatchObject({ status: 429, kind: "http" });
    pool.release("a");
    expect(await queued).toBe("a");
  });

  it("drops a waiter whose client leaves, freeing its place", async () => {
    const pool = new SlotPool(["only"], 1, 10_000);
    await pool.acquire(live());
    const c = new AbortController();
    const waiting = pool.acquire(c.signal);
    expect(pool.waiting).toBe(1);
    c.abort();
    await expect(waiting).rejects.toBeInstanceOf(UpstreamError);
    expect(pool.waiting).toBe(0);
    pool.release("only");
    expect(pool.available).toBe(1);
  });

  it("gives up after the queue timeout", async () => {
    const pool = new SlotPool([1], 5, 20);
    await pool.acquire(live());
    await expect(pool.acquire(live())).rejects.toThrow(/waited 20 ms/);
  });
});
