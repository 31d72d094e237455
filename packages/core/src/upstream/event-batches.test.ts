import type { EventSourceMessage } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { mapEventBatches } from "./event-batches.js";

async function* batches(...datas: string[][]): AsyncGenerator<EventSourceMessage[]> {
  for (const batch of datas) yield batch.map((data) => ({ data, event: undefined, id: undefined }));
}

/** Each event gives itself twice; "end" ends the stream; "bad" is the provider failing. */
function read(event: EventSourceMessage, out: string[]): boolean {
  if (event.data === "bad") throw new Error("bad event");
  if (event.data === "end") return true;
  out.push(event.data, event.data.toUpperCase());
  return false;
}

async function collect<T>(source: AsyncGenerator<T[]>): Promise<{ seen: T[][]; error: string | null }> {
  const seen: T[][] = [];
  try {
    for await (const batch of source) seen.push(batch);
    return { seen, error: null };
  } catch (err) {
    return { seen, error: (err as Error).message };
  }
}

describe("mapEventBatches", () => {
  it("gives one batch per read with everything its events gave, and stops at the end", async () => {
    const end = () => {
      throw new Error("not reached");
    };
    expect(await collect(mapEventBatches(batches(["a", "b"], ["c", "end", "d"], ["e"]), read, end))).toEqual({
      seen: [
        ["a", "A", "b", "B"],
        ["c", "C"],
      ],
      error: null,
    });
  });

  it("without an end, asks `end` for the last items or the failure", async () => {
    expect(await collect(mapEventBatches(batches(["a"]), read, (out) => out.push("fin")))).toEqual({ seen: [["a", "A"], ["fin"]], error: null });
    const cut = () => {
      throw new Error("stream ended early");
    };
    expect(await collect(mapEventBatches(batches(["a"]), read, cut))).toEqual({ seen: [["a", "A"]], error: "stream ended early" });
  });

  it("hands on what came before a failure in the same read, then fails", async () => {
    expect(await collect(mapEventBatches(batches(["a", "bad", "b"]), read, () => undefined))).toEqual({ seen: [["a", "A"]], error: "bad event" });
  });
});
