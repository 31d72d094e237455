import { describe, expect, it, vi } from "vitest";
import { ProviderRegistry } from "../routing/registry.js";
import { decodeProviderChoice } from "../routing/policy.js";
import { normalizeProvider } from "../config/load.js";
import { ANONYMOUS } from "../auth/types.js";
import type { ProviderAdapter } from "../adapters/types.js";
import type { CanonicalRequest } from "../canonical/types.js";
import { planMixed, type ApiTranslation } from "./native.js";

const notCalled = async () => {
  throw new Error("not called");
};
/** `native` speaks Chat Completions itself; `translating` takes the canonical model. Planning calls neither. */
const adapters = {
  openai: (): ProviderAdapter => ({
    chat: { params: new Set(), complete: notCalled, stream: notCalled as never },
    native: { chat: { send: notCalled, stream: notCalled as never } },
  }),
  anthropic: (): ProviderAdapter => ({ chat: { params: new Set(), complete: notCalled, stream: notCalled as never } }),
};
const CHAT: ApiTranslation = { api: "chat", translatedFields: new Set(["model", "messages"]), paramName: (p) => p };
const canonical = { model: "m", messages: [] } as unknown as CanonicalRequest;

function registry(): ProviderRegistry {
  const r = new ProviderRegistry(adapters as never);
  r.replaceAll(
    [
      { id: "native", type: "openai", models: [{ id: "m", context_window: 1000 }] },
      { id: "small", type: "anthropic", models: [{ id: "m", context_window: 10 }] },
      { id: "translating", type: "anthropic", models: [{ id: "m", context_window: 2000 }] },
    ].map((e) => normalizeProvider({ base_url: "http://127.0.0.1:9", ...e })),
  );
  return r;
}

describe("planMixed", () => {
  it("estimates the prompt once for every context window and the reservation after", () => {
    const estimate = vi.fn(() => 500);
    const raw = { model: "m", messages: [{ role: "user", content: "hi" }] };
    const { plan, promptTokens } = planMixed(registry(), raw, decodeProviderChoice(undefined), ANONYMOUS, CHAT, () => canonical, estimate);
    // Three windows, planned twice (native only, then with the translating providers): one estimate.
    expect(plan.candidates.map((c) => c.runtime.config.id)).toEqual(["native", "translating"]);
    expect(plan.attempts).toContainEqual(expect.objectContaining({ provider: "small", outcome: "skipped" }));
    expect(promptTokens()).toBe(500);
    expect(estimate).toHaveBeenCalledTimes(1);
  });
});
