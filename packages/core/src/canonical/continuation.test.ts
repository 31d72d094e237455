import { describe, expect, it } from "vitest";
import { characterCount, continuationRequest, CONTINUE_INSTRUCTION, Seam } from "./continuation.js";
import { CANONICAL_PARAMS } from "./params.js";
import type { CanonicalRequest, StreamPart } from "./types.js";

const base: CanonicalRequest = {
  system: ["Be brief."],
  messages: [{ role: "user", content: [{ type: "text", text: "Tell me." }] }],
  tools: [],
  stream: true,
  temperature: 0.2,
};
const all = new Set(CANONICAL_PARAMS);

describe("continuationRequest", () => {
  it("prefill: the answer so far is the last assistant turn, trailing whitespace held back", () => {
    const req = continuationRequest(base, "Once upon a \n", true, all);
    expect(req.prefill).toBe(true);
    expect(req.messages.at(-1)).toEqual({ role: "assistant", content: [{ type: "text", text: "Once upon a" }] });
    expect(req.temperature).toBe(0.2);
    expect(base.messages).toHaveLength(1); // the request itself is left as it was
    // max_tokens bounds the whole answer: the 13 characters delivered count as about 4 tokens of it.
    expect(continuationRequest({ ...base, maxOutputTokens: 100 }, "Once upon a \n", true, all).maxOutputTokens).toBe(96);
  });

  it("instruction: the answer so far, then the instruction, and no prefill flag", () => {
    const req = continuationRequest(base, "Once upon", false, all);
    expect(req.prefill).toBeUndefined();
    expect(req.messages.slice(1)).toEqual([
      { role: "assistant", content: [{ type: "text", text: "Once upon" }] },
      { role: "user", content: [{ type: "text", text: CONTINUE_INSTRUCTION }] },
    ]);
  });

  it("adds to the client's own prefill (Messages) rather than starting a second assistant turn", () => {
    const withPrefill: CanonicalRequest = { ...base, messages: [...base.messages, { role: "assistant", content: [{ type: "text", text: "{" }] }] };
    const req = continuationRequest(withPrefill, '"a": 1', true, all);
    expect(req.messages).toHaveLength(2);
    expect(req.messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "text", text: "{" },
        { type: "text", text: '"a": 1' },
      ],
    });
  });

  it("drops what a continuation cannot carry (several answers, logprobs, reasoning) and what the provider does not take", () => {
    const req = continuationRequest(
      { ...base, n: 3, logprobs: { top: 2 }, reasoning: { effort: "high" }, seed: 4 },
      "x",
      true,
      new Set(["temperature"] as const),
    );
    expect(req).not.toHaveProperty("n");
    expect(req).not.toHaveProperty("logprobs");
    expect(req).not.toHaveProperty("reasoning");
    expect(req).not.toHaveProperty("seed");
    expect(req.temperature).toBe(0.2);
  });

  it("with nothing delivered yet (only reasoning), asks for the answer as it was", () => {
    expect(continuationRequest(base, " ", true, all).messages).toEqual(base.messages);
  });
});

describe("Seam", () => {
  const texts = (seam: Seam, deltas: string[]) =>
    deltas
      .map((delta) => seam.admit({ type: "text", delta }))
      .map((p) => (p?.type === "text" ? p.delta : null))
      .filter((d) => d !== null);

  it("drops the whitespace the client already has, however the continuation's first deltas fall", () => {
    expect(texts(new Seam("Once upon a \n"), [" ", "\nti", "me "]).join("")).toBe("time ");
    expect(texts(new Seam("Once upon a "), ["time"]).join("")).toBe("time"); // the provider did not repeat it
    expect(texts(new Seam("Once upon a"), [" time"]).join("")).toBe(" time"); // nothing was held back
  });

  it("drops nothing past the first character that is not whitespace", () => {
    expect(texts(new Seam("a  "), [" b", "  c"]).join("")).toBe("b  c");
  });

  it("leaves out the new provider's reasoning, model name and logprobs, and lets the rest pass", () => {
    const seam = new Seam("x");
    const parts: StreamPart[] = [
      { type: "reasoning", delta: "hmm" },
      { type: "model", model: "other" },
      { type: "logprobs", tokens: [] },
      { type: "finish", reason: "stop" },
      { type: "usage", usage: { inputTokens: 1, outputTokens: 2 } },
    ];
    expect(parts.map((p) => seam.admit(p))).toEqual([null, null, null, parts[3], parts[4]]);
  });
});

describe("characterCount", () => {
  it("counts code points, as Python's len() does", () => {
    expect(characterCount("café 🚀")).toBe(6);
    expect("café 🚀".length).toBe(7);
  });
});
