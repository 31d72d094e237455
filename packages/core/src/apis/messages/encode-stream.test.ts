import { describe, expect, it } from "vitest";
import { fixtureChunks, namedEvents } from "../../test-support/fake-server.js";
import type { StreamPart } from "../../canonical/types.js";
import { MessagesStreamEncoder } from "./encode-stream.js";
import { encodeMessage, toolInput } from "./encode-result.js";

function run(parts: StreamPart[], end: (e: MessagesStreamEncoder) => string = (e) => e.end()): Array<Record<string, any>> {
  const e = new MessagesStreamEncoder("msg_1", "m");
  let text = e.start();
  for (const p of parts) text += e.part(p);
  text += end(e);
  return namedEvents(text);
}

const recorded = (name: string) => fixtureChunks(`anthropic/${name}`).map((l) => JSON.parse(l));

describe("MessagesStreamEncoder", () => {
  it("emits the events a real Anthropic text stream has, in its order, with its fields", () => {
    const real = recorded("anthropic-text.chunks.txt");
    const deltas = real.filter((e) => e.delta?.type === "text_delta").map((e) => e.delta.text as string);
    const ours = run([
      ...deltas.map((delta): StreamPart => ({ type: "text", delta })),
      { type: "usage", usage: { inputTokens: 12, outputTokens: 40 } },
      { type: "finish", reason: "stop" },
    ]);
    expect(ours.map((e) => e.type)).toEqual(real.map((e) => e.type));
    ours.forEach((event, i) => expect(Object.keys(event)).toEqual(expect.arrayContaining(Object.keys(real[i]!))));
    expect(ours.at(-2)).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: expect.objectContaining({ input_tokens: 12, output_tokens: 40 }),
    });
  });

  it("emits a tool call the way a real Anthropic stream does, blocks numbered in order", () => {
    const real = recorded("anthropic-tool-no-args.chunks.txt").filter((e) => e.type !== "ping");
    const start = real.find((e) => e.type === "content_block_start" && e.content_block.type === "tool_use")!;
    const ours = run([
      { type: "text", delta: "Calling." },
      { type: "tool_call_start", index: 0, id: "toolu_1", name: "f" },
      { type: "tool_call_delta", index: 0, delta: '{"a":1}' },
      { type: "tool_call_start", index: 1, id: "toolu_2", name: "g" },
      { type: "finish", reason: "tool_calls" },
    ]);
    const starts = ours.filter((e) => e.type === "content_block_start");
    expect(starts.map((e) => [e.index, e.content_block.type])).toEqual([
      [0, "text"],
      [1, "tool_use"],
      [2, "tool_use"],
    ]);
    expect(Object.keys(starts[1]!.content_block).sort()).toEqual(Object.keys(start.content_block).sort());
    expect(ours.find((e) => e.delta?.type === "input_json_delta")).toEqual({
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"a":1}' },
    });
    expect(ours.filter((e) => e.type === "content_block_stop").map((e) => e.index)).toEqual([0, 1, 2]);
    expect(ours.at(-2)!.delta.stop_reason).toBe("tool_use");
  });

  it("streams reasoning as a thinking block, and ends a broken stream with an error event", () => {
    const ours = run(
      [
        { type: "reasoning", delta: "hmm" },
        { type: "text", delta: "ok" },
      ],
      (e) => e.fail("overloaded_error", "gone"),
    );
    expect(ours[1]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } });
    expect(ours[3]).toEqual({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } });
    expect(ours.at(-1)).toEqual({ type: "error", error: { type: "overloaded_error", message: "gone" } });
    expect(ours.some((e) => e.type === "message_stop")).toBe(false);
  });
});

describe("encodeMessage", () => {
  it("maps finish reasons and keeps cached tokens apart, as Anthropic counts them", () => {
    const m = encodeMessage("msg_1", {
      model: "m",
      choices: [{ content: [{ type: "tool_call", id: "t", name: "f", arguments: '{"x":1}' }], finish: "tool_calls" }],
      usage: { inputTokens: 100, outputTokens: 5, cachedInputTokens: 60 },
    });
    expect(m).toMatchObject({ stop_reason: "tool_use", content: [{ type: "tool_use", id: "t", name: "f", input: { x: 1 } }] });
    expect(m.usage).toEqual({ input_tokens: 40, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 });
    expect(encodeMessage("m", { model: "m", choices: [{ content: [], finish: "length" }], usage: { inputTokens: 0, outputTokens: 0 } }).stop_reason).toBe(
      "max_tokens",
    );
  });

  it("keeps tool arguments that are not a JSON object instead of losing them", () => {
    expect(toolInput("")).toEqual({});
    expect(toolInput("[1]")).toEqual({ _raw: "[1]" });
    expect(toolInput('{"a":')).toEqual({ _raw: '{"a":' });
  });
});
