import { describe, expect, it } from "vitest";
import { GeminiStreamTranslator } from "./stream.js";
import type { GeminiResponse } from "./wire.js";

describe("GeminiStreamTranslator with n > 1", () => {
  it("keeps every candidate, each under its own choice index with its own finish", () => {
    const t = new GeminiStreamTranslator("gemini-2.5-flash", 1);
    const events: GeminiResponse[] = [
      {
        candidates: [
          { index: 0, content: { role: "model", parts: [{ text: "Hel" }] } },
          { index: 1, content: { role: "model", parts: [{ text: "Bon" }] } },
        ],
      },
      { candidates: [{ index: 1, content: { role: "model", parts: [{ text: "jour" }] }, finishReason: "STOP" }] },
      {
        candidates: [{ index: 0, content: { role: "model", parts: [{ text: "lo" }] }, finishReason: "MAX_TOKENS" }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
      },
    ] as GeminiResponse[];
    const chunks = events.flatMap((e) => t.translate(e));
    expect(t.finished).toBe(true);
    chunks.push(...t.end());
    const text = (i: number) => chunks.flatMap((c) => c.choices.filter((ch) => ch.index === i).map((ch) => ch.delta.content ?? "")).join("");
    expect(text(0)).toBe("Hello");
    expect(text(1)).toBe("Bonjour");
    const finishes = chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason).map((ch) => [ch.index, ch.finish_reason]));
    expect(finishes).toEqual([
      [0, "length"],
      [1, "stop"],
    ]);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("is not finished while one candidate is still going", () => {
    const t = new GeminiStreamTranslator("m", 1);
    t.translate({
      candidates: [
        { index: 0, content: { role: "model", parts: [{ text: "a" }] }, finishReason: "STOP" },
        { index: 1, content: { role: "model", parts: [{ text: "b" }] } },
      ],
    } as GeminiResponse);
    expect(t.finished).toBe(false);
  });
});
