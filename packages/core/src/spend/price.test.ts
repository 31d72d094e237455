/**
 * Costs over the usage real providers reported (the recorded responses), each figure worked out by hand from the
 * prices in default-prices.ts: USD per million tokens, so n tokens at p cost n × p µ$.
 */
import { describe, expect, it } from "vitest";
import { fixture } from "../test-support/fake-server.js";
import { normalizeProvider } from "../config/load.js";
import { costOf, priceFor } from "./price.js";
import { usageFromChat } from "../adapters/openai/from-response.js";
import { toUsage as anthropicUsage } from "../adapters/anthropic/from-response.js";
import { toUsage as geminiUsage } from "../adapters/gemini/from-response.js";

const provider = (entry: Record<string, unknown>) => normalizeProvider(entry);
const openai = provider({ id: "oa", preset: "openai", models: ["gpt-4.1-nano", "gpt-4o-mini"] });
const anthropic = provider({ id: "an", preset: "anthropic", models: ["claude-sonnet-4-5"] });
const gemini = provider({ id: "ge", preset: "gemini", models: ["gemini-3-pro-preview"] });
const model = (id: string) => ({ id, upstream: id });
const recorded = (path: string) => JSON.parse(fixture(path));

describe("cost of recorded real answers at the built-in prices", () => {
  it("OpenAI gpt-4.1-nano, a dated snapshot: 16 in × $0.10 + 363 out × $0.40 = 146.8 µ$", () => {
    const answer = recorded("openai/openai-text.json");
    const price = priceFor(openai, model("gpt-4.1-nano"), answer.model)!;
    expect(costOf(usageFromChat(answer.usage), price)).toBeCloseTo(0.0001468, 12);
    // Found by the reported snapshot's name too, when the configured id is not in the table.
    expect(priceFor(openai, model("nano-alias"), answer.model)).toEqual(price);
  });

  it("OpenAI with cached tokens: 500 × $0.15 + 1,500 cached × $0.075 + 100 × $0.60 = 247.5 µ$", () => {
    const usage = usageFromChat({ prompt_tokens: 2000, completion_tokens: 100, total_tokens: 2100, prompt_tokens_details: { cached_tokens: 1500 } });
    expect(costOf(usage, priceFor(openai, model("gpt-4o-mini"))!)).toBeCloseTo(0.0002475, 12);
  });

  it("Anthropic claude-sonnet-4-5: 12 in × $3 + 29 out × $15 = 471 µ$", () => {
    const answer = recorded("anthropic/anthropic-text.json");
    expect(costOf(anthropicUsage(answer.usage), priceFor(anthropic, model("claude-sonnet-4-5"), answer.model)!)).toBeCloseTo(0.000471, 12);
  });

  it("Anthropic cache reads and writes apart: 100 × $3 + 2,000 written × $3.75 + 5,000 read × $0.30 + 300 × $15 = 13,800 µ$", () => {
    const usage = anthropicUsage({ input_tokens: 100, cache_creation_input_tokens: 2000, cache_read_input_tokens: 5000, output_tokens: 300 });
    expect(costOf(usage, priceFor(anthropic, model("claude-sonnet-4-5"))!)).toBeCloseTo(0.0138, 12);
  });

  it("Anthropic above 200K prompt tokens at the long-context rates: 250,000 × $6 + 1,000 × $22.50 = $1.5225", () => {
    expect(costOf({ inputTokens: 250_000, outputTokens: 1000 }, priceFor(anthropic, model("claude-sonnet-4-5"))!)).toBeCloseTo(1.5225, 9);
  });

  it("Gemini gemini-3-pro-preview, thinking billed as output: 9 × $2 + (28 + 244) × $12 = 3,282 µ$", () => {
    const answer = recorded("gemini/google-text.json");
    expect(costOf(geminiUsage(answer.usageMetadata)!, priceFor(gemini, model("gemini-3-pro-preview"))!)).toBeCloseTo(0.003282, 12);
  });
});

describe("which price applies", () => {
  it("the provider's own prices first (by id, upstream id, then *), over the built-in ones", () => {
    const own = provider({
      id: "oa",
      preset: "openai",
      models: ["gpt-4o-mini"],
      prices: { "gpt-4o-mini": { input: 1, output: 2 }, "*": { input: 5, output: 5 } },
    });
    expect(priceFor(own, model("gpt-4o-mini"))).toEqual({ input: 1, output: 2 });
    expect(priceFor(own, { id: "cheap", upstream: "gpt-4o-mini" })).toEqual({ input: 1, output: 2 });
    expect(priceFor(own, model("gpt-4o"))).toEqual({ input: 5, output: 5 });
  });

  it("none for a provider that is not the vendor's own API unless configured; nothing for the embedded model", () => {
    const router = provider({ id: "or", preset: "openrouter", models: ["gpt-4o-mini"] });
    expect(priceFor(router, model("gpt-4o-mini"))).toBeNull();
    expect(priceFor(openai, model("some-new-model"))).toBeNull();
    const local = provider({ id: "local", type: "local", model_path: "x.gguf", models: ["smollm2"] });
    expect(costOf({ inputTokens: 1e6, outputTokens: 1e6 }, priceFor(local, model("smollm2"))!)).toBe(0);
  });

  it("prices embedding tokens at the model's input price (OpenAI's and Gemini's embedding models built in)", () => {
    // 1,234,567 tokens of text-embedding-3-small at $0.02 per million: $0.02469134.
    expect(costOf({ inputTokens: 1_234_567, outputTokens: 0 }, priceFor(openai, model("text-embedding-3-small"))!)).toBe(0.02469134);
    const gemini = provider({ id: "g", preset: "gemini", models: [] });
    expect(costOf({ inputTokens: 1e6, outputTokens: 0 }, priceFor(gemini, model("gemini-embedding-001"))!)).toBe(0.15);
  });

  it("refuses a malformed price in the config, naming it", () => {
    expect(() => provider({ id: "x", preset: "openai", prices: { m: { input: -1, output: 1 } } })).toThrow(/prices/);
  });
});
