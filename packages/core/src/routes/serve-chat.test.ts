/** A native provider's event batches as relay items: what ends the stream, and what a failure mid-batch keeps. */
import type { EventSourceMessage } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { UpstreamError } from "../errors.js";
import { nativeItems, type NativeItem } from "./serve-chat.js";

async function* batches(...datas: string[][]): AsyncGenerator<EventSourceMessage[]> {
  for (const batch of datas) yield batch.map((data) => ({ data, event: undefined, id: undefined }));
}

/** [DONE] ends the stream unrelayed, "last" is relayed and ends it, "bad" is the provider failing. */
function item(event: EventSourceMessage): NativeItem | null {
  if (event.data === "[DONE]") return null;
  if (event.data === "bad") throw new UpstreamError("error in stream: bad", "protocol");
  return { type: "native", event, data: event.data };
}
const isLast = (i: NativeItem) => i.data === "last";

async function collect(source: AsyncGenerator<NativeItem[]>): Promise<{ seen: string[][]; error: string | null }> {
  const seen: string[][] = [];
  try {
    for await (const batch of source) seen.push(batch.map((i) => i.data as string));
    return { seen, error: null };
  } catch (err) {
    return { seen, error: (err as Error).message };
  }
}

describe("nativeItems", () => {
  it("passes each batch on whole, and stops at the end (unrelayed) or at a last item (relayed)", async () => {
    expect(await collect(nativeItems(batches(["a", "b"], ["c", "[DONE]", "after"]), item, isLast, "cut"))).toEqual({ seen: [["a", "b"], ["c"]], error: null });
    expect(await collect(nativeItems(batches(["a"], ["last", "after"], ["more"]), item, isLast, "cut"))).toEqual({ seen: [["a"], ["last"]], error: null });
    expect(await collect(nativeItems(batches(["[DONE]"]), item, isLast, "cut"))).toEqual({ seen: [], error: null });
  });

  it("hands on what came before a failure in the same read, then fails", async () => {
    expect(await collect(nativeItems(batches(["a"], ["b", "bad", "c"]), item, isLast, "cut"))).toEqual({ seen: [["a"], ["b"]], error: "error in stream: bad" });
    expect(await collect(nativeItems(batches(["bad", "a"]), item, isLast, "cut"))).toEqual({ seen: [], error: "error in stream: bad" });
  });

  it("fails a stream that stops without its end", async () => {
    expect(await collect(nativeItems(batches(["a"], ["b"]), item, isLast, "stream ended before [DONE]"))).toEqual({
      seen: [["a"], ["b"]],
      error: "stream ended before [DONE]",
    });
  });
});
