/** An upstream's SSE events, read a batch at a time (those of one read), mapped into what the relay passes on. */
import type { EventSourceMessage } from "eventsource-parser";

/**
 * Maps each batch of events into one batch of items. `read` adds what one event gives to `out` and says whether the
 * stream ended with it; it throws when the provider failed, and what came before the failure in the same read is
 * handed on first, as it would be one event at a time. `end` runs when the events stop without an end: it adds the
 * last items, or throws (a stream that was cut).
 */
export async function* mapEventBatches<T>(
  batches: AsyncIterable<EventSourceMessage[]>,
  read: (event: EventSourceMessage, out: T[]) => boolean,
  end: (out: T[]) => void,
): AsyncGenerator<T[]> {
  for await (const batch of batches) {
    const out: T[] = [];
    let ended = false;
    try {
      for (const event of batch) if ((ended = read(event, out))) break;
    } catch (err) {
      if (out.length) yield out;
      throw err;
    }
    if (out.length) yield out;
    if (ended) return;
  }
  const out: T[] = [];
  end(out);
  if (out.length) yield out;
}
