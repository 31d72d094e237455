import { describe, expect, it } from "vitest";
import { ChatStreamEncoder } from "../apis/chat-completions/encode-stream.js";
import { MessagesStreamEncoder } from "../apis/messages/encode-stream.js";
import { partsOf } from "../cache/answers.js";
import type { CanonicalResult } from "../canonical/types.js";
import { assembleStreamBody } from "./stream-body.js";

const answer: CanonicalResult = {
  model: "m",
  choices: [
    {
      content: [
        { type: "text", text: "Hello there." },
        { type: "tool_call", id: "c1", name: "f", arguments: '{"a":1}' },
      ],
      finish: "tool_calls",
    },
  ],
  usage: { inputTokens: 1, outputTokens: 2 },
};

describe("assembleStreamBody", () => {
  it("puts a stored Chat Completions stream back together, and says when it was cut", () => {
    const encoder = new ChatStreamEncoder({ id: "c", created: 1, model: "m", provider: "p", includeUsage: false });
    const body =
      encoder.start() +
      partsOf(answer)
        .map((p) => encoder.part(p))
        .join("") +
      encoder.end();
    expect(assembleStreamBody("/v1/chat/completions", body)).toEqual({
      complete: true,
      choices: [{ text: "Hello there.", reasoning: "", toolCalls: [{ name: "f", arguments: '{"a":1}' }], finish: "tool_calls" }],
    });
    // Cut at the cap inside the tool call's event: what came before it is shown, marked incomplete.
    const cut = assembleStreamBody("/v1/chat/completions", body.slice(0, body.indexOf('"tool_calls"') + 5));
    expect(cut).toEqual({ complete: false, choices: [{ text: "Hello there.", reasoning: "", toolCalls: [], finish: "stop" }] });
  });

  it("reads Messages streams, and leaves other bodies alone", () => {
    const encoder = new MessagesStreamEncoder("msg_1", "m");
    const body =
      encoder.start() +
      partsOf(answer)
        .map((p) => encoder.part(p))
        .join("") +
      encoder.end();
    expect(assembleStreamBody("/api/an/v1/messages", body)).toMatchObject({ complete: true, choices: [{ text: "Hello there.", toolCalls: [{ name: "f" }] }] });
    expect(assembleStreamBody("/v1/chat/completions", '{"id":"x"}')).toBeNull();
    expect(assembleStreamBody("/v1/embeddings", "data: {}\n\n")).toBeNull();
  });
});
