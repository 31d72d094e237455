import { describe, expect, it } from "vitest";
import type { CanonicalResult } from "../canonical/types.js";
import { chatAnswer, collectParts, messagesAnswer, partsOf, responsesAnswer } from "./answers.js";
import { captureStream } from "./capture.js";
import { ChatStreamEncoder } from "../apis/chat-completions/encode-stream.js";

const result: CanonicalResult = {
  model: "m-1",
  choices: [
    {
      content: [
        { type: "reasoning", text: "think", signature: "sig" },
        { type: "text", text: "Calling." },
        { type: "tool_call", id: "c1", name: "f", arguments: '{"q":1}' },
      ],
      finish: "tool_calls",
    },
    { content: [{ type: "text", text: "second" }], finish: "length" },
  ],
  usage: { inputTokens: 3, outputTokens: 4 },
};

describe("stored answers", () => {
  it("replay as parts that collect back into the same answer", () => {
    expect(collectParts(partsOf(result))).toEqual(result);
  });

  it("are not kept when the canonical model would drop part of them", () => {
    const completion = (message: Record<string, unknown>) =>
      ({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }],
      }) as never;
    expect(chatAnswer(completion({ content: "hi", refusal: null, annotations: [] }))?.choices[0]!.content).toEqual([{ type: "text", text: "hi" }]);
    expect(chatAnswer(completion({ content: "hi", annotations: [{ type: "url_citation" }] }))).toBeNull();
    expect(chatAnswer(completion({ content: null, audio: { id: "a" } }))).toBeNull();
    const message = (content: unknown[]) => ({ id: "m", type: "message", role: "assistant", model: "m", content, stop_reason: "end_turn", usage: {} }) as never;
    expect(messagesAnswer(message([{ type: "text", text: "hi" }]))).not.toBeNull();
    expect(messagesAnswer(message([{ type: "server_tool_use", id: "s", name: "web_search", input: {} }]))).toBeNull();
    expect(messagesAnswer(message([{ type: "text", text: "hi", citations: [{ type: "x" }] }]))).toBeNull();
    const response = (output: unknown[], status = "completed") => ({ status, model: "m", output, usage: { input_tokens: 1, output_tokens: 2 } });
    const text = { type: "message", role: "assistant", content: [{ type: "output_text", text: "hi", annotations: [] }] };
    expect(responsesAnswer(response([text]))).toMatchObject({ choices: [{ content: [{ type: "text", text: "hi" }], finish: "stop" }] });
    expect(responsesAnswer(response([{ type: "web_search_call", id: "w" }, text]))).toBeNull();
    expect(responsesAnswer(response([text], "failed"))).toBeNull();
  });
});

describe("captureStream", () => {
  it("reads a whole answer from the gateway's own Chat Completions events, and nothing from a cut one", () => {
    const encoder = new ChatStreamEncoder({ id: "c", created: 1, model: "m-1", provider: "p", includeUsage: true });
    const text =
      encoder.start() +
      partsOf(result)
        .map((p) => encoder.part(p))
        .join("") +
      encoder.end();
    const whole = captureStream("chat");
    whole.feed(text);
    // Chat Completions has no field for a reasoning signature (Anthropic's): the rest comes back whole.
    const unsigned = structuredClone(result);
    delete (unsigned.choices[0]!.content[0] as { signature?: string }).signature;
    expect(whole.result()).toEqual(unsigned);
    const cut = captureStream("chat");
    cut.feed(text.slice(0, text.indexOf("[DONE]")));
    expect(cut.result()).toBeNull();
  });
});
