import { describe, expect, it } from "vitest";
import { toChatHistory } from "./to-history.js";

describe("toChatHistory", () => {
  it("maps roles and ends with the model turn to complete", () => {
    expect(
      toChatHistory({
        system: ["Be brief."],
        messages: [
          { role: "user", content: [{ type: "text", text: "Hi" }] },
          { role: "assistant", content: [{ type: "text", text: "Hello" }] },
          { role: "user", content: [{ type: "text", text: "Again" }] },
        ],
      }),
    ).toEqual([
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: ["Hello"] },
      { type: "user", text: "Again" },
      { type: "model", response: [] },
    ]);
  });

  it("continues a prefilled answer: its unfinished model turn is the one completed", () => {
    const messages = [
      { role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] },
      { role: "assistant" as const, content: [{ type: "text" as const, text: "Once upon" }] },
    ];
    expect(toChatHistory({ system: [], messages, prefill: true })).toEqual([
      { type: "user", text: "Hi" },
      { type: "model", response: ["Once upon"] },
    ]);
    expect(toChatHistory({ system: [], messages }).at(-1)).toEqual({ type: "model", response: [] });
  });

  it("refuses images and tool messages with a 400 naming messages", () => {
    expect(() => toChatHistory({ system: [], messages: [{ role: "user", content: [{ type: "image", url: "data:," }] }] })).toThrow(/text only/);
    expect(() => toChatHistory({ system: [], messages: [{ role: "tool", toolCallId: "c", content: "x" }] })).toThrow(/tool messages/);
  });
});
