/**
 * Reads a streamed answer as the client got it (the gateway's own output, in the API's events), to cache it once
 * it ended well. One reader per API, built on the decoders the gateway uses for providers of that API.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { StreamPart, CanonicalResult } from "../canonical/types.js";
import { ChatChunkDecoder } from "../adapters/openai/from-stream.js";
import { AnthropicStreamTranslator } from "../adapters/anthropic/stream.js";
import { CHAT_MESSAGE_FIELDS, collectParts, empty, MESSAGE_BLOCKS, responsesAnswer, type CachedApi } from "./answers.js";

/** The answer so far; `result()` is null unless the stream ended complete and every part could be kept. */
export interface StreamCapture {
  feed(text: string): void;
  result(): CanonicalResult | null;
  /** What arrived, whole or not (a stream cut short, a body cut at its cap): for showing, never for caching. */
  partial(): { result: CanonicalResult; complete: boolean };
}

const MESSAGE_DELTAS = new Set(["text_delta", "input_json_delta", "thinking_delta", "signature_delta"]);

/** How one API's events become parts, and whether the stream ended as a whole answer. */
interface EventReader {
  read(event: EventSourceMessage, parts: StreamPart[]): void;
  /** Set by the reader: the stream ended well (true), or something in it cannot be cached (false). */
  state: "open" | "complete" | "unusable";
  final?: CanonicalResult | null;
}

function chatReader(): EventReader {
  const decoder = new ChatChunkDecoder();
  const reader: EventReader = {
    state: "open",
    read(event, parts) {
      if (event.data === "[DONE]") {
        if (reader.state === "open") reader.state = "complete";
        return;
      }
      const chunk = JSON.parse(event.data);
      if (chunk.error || !Array.isArray(chunk.choices)) return void (reader.state = "unusable");
      for (const c of chunk.choices) {
        for (const [k, v] of Object.entries(c.delta ?? {})) if (!CHAT_MESSAGE_FIELDS.has(k) && !empty(v)) reader.state = "unusable";
      }
      parts.push(...decoder.decode(chunk));
    },
  };
  return reader;
}

function messagesReader(): EventReader {
  const translator = new AnthropicStreamTranslator();
  const reader: EventReader = {
    state: "open",
    read(event, parts) {
      const data = JSON.parse(event.data);
      if (data.type === "error") return void (reader.state = "unusable");
      if (data.type === "content_block_start" && (!MESSAGE_BLOCKS.has(data.content_block?.type) || !empty(data.content_block?.citations)))
        reader.state = "unusable";
      if (data.type === "content_block_delta" && !MESSAGE_DELTAS.has(data.delta?.type)) reader.state = "unusable";
      parts.push(...translator.translate(data));
      if (data.type === "message_stop" && reader.state === "open") reader.state = "complete";
    },
  };
  return reader;
}

function responsesReader(): EventReader {
  const reader: EventReader = {
    state: "open",
    read(event, parts) {
      const data = JSON.parse(event.data);
      // The text as it came, for a stream that never completes; a completed one's final response replaces it.
      if (data.type === "response.output_text.delta" && typeof data.delta === "string") parts.push({ type: "text", delta: data.delta });
      if (data.type === "error" || data.type === "response.failed") return void (reader.state = "unusable");
      if ((data.type === "response.completed" || data.type === "response.incomplete") && reader.state === "open") {
        reader.final = responsesAnswer(data.response);
        reader.state = reader.final ? "complete" : "unusable";
      }
    },
  };
  return reader;
}

const READERS: Record<CachedApi, () => EventReader> = { chat: chatReader, messages: messagesReader, responses: responsesReader };

export function captureStream(api: CachedApi): StreamCapture {
  const reader = READERS[api]();
  const parts: StreamPart[] = [];
  const parser = createParser({
    onEvent(event) {
      try {
        reader.read(event, parts);
      } catch {
        reader.state = "unusable";
      }
    },
  });
  const result = () => (reader.state !== "complete" ? null : reader.final !== undefined ? reader.final : collectParts(parts));
  return {
    feed: (text) => parser.feed(text),
    result,
    partial: () => ({ result: result() ?? reader.final ?? collectParts(parts), complete: reader.state === "complete" }),
  };
}
