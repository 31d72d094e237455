import { describe, expect, it } from "vitest";
import { normalizeProvider, parseConfig } from "./load.js";
import { fromProviderForm, MASKED_VALUE, parseModels, providerFormProblems, restoreMaskedHeaders, toProviderForm } from "./form.js";

const config = parseConfig(`timeouts: { connect_ms: 700 }
providers:
  - id: openrouter
    type: openai
    base_url: https://openrouter.ai/api/v1
    url: https://openrouter.ai
    api_key: sk-or-secret-value
    models: [gpt-4o-mini, { id: cheap, upstream: meta-llama/llama-3.3-70b, context_window: 131072 }]
    weight: 3
    data_collection: deny
    image_models: ["*"]
    headers: { HTTP-Referer: https://example.com }
    timeouts: { first_byte_ms: 5000, total_ms: 90000 }
    retries: { max: 3 }
    circuit_breaker: { failure_threshold: 9 }
    drop_params: true
    enabled: false
  - { id: local, type: local, model_path: models/x.gguf, models: [smol], context_size: 4096, parallel: 3 }
`);

describe("the dashboard's provider form", () => {
  it.each(config.providers.map((p) => [p.id, p] as const))("saving %s unchanged gives back the same provider", (_id, provider) => {
    const form = toProviderForm(provider);
    expect(form.api_key).toBe(""); // never sent to the browser
    expect(form.settings).not.toContain("sk-or-secret");
    const { api_key: _secret, ...withoutKey } = provider;
    expect(normalizeProvider(fromProviderForm(form))).toEqual(withoutKey);
  });

  it("keeps the routing settings (weight, data collection, context windows) in the settings JSON", () => {
    const settings = JSON.parse(toProviderForm(config.providers[0]!).settings);
    expect(settings).toMatchObject({ weight: 3, data_collection: "deny", context_windows: { cheap: 131072 } });
  });

  it("writes aliases as id=upstream and reads them back", () => {
    expect(toProviderForm(config.providers[0]!).models).toBe("gpt-4o-mini, cheap=meta-llama/llama-3.3-70b");
    expect(parseModels("a, b=c  d=")).toEqual(["a", { id: "b", upstream: "c" }, "d="]);
  });

  it("shows headers, timeouts and drop_params as fields of their own", () => {
    const form = toProviderForm(config.providers[0]!);
    expect(form.headers).toBe("HTTP-Referer: https://example.com");
    expect(form.timeouts).toMatchObject({ first_byte_ms: "5000", total_ms: "90000" });
    expect(form.drop_params).toBe(true);
    expect(form.settings).not.toMatch(/headers|timeouts|drop_params/);
    const changed = normalizeProvider(
      fromProviderForm({ ...form, headers: "X-A: 1\n\nX-B:  two words ", timeouts: { ...form.timeouts, total_ms: "", idle_ms: "250" } }),
    );
    expect(changed.headers).toEqual({ "X-A": "1", "X-B": "two words" });
    expect(changed.timeouts).toEqual({ first_byte_ms: 5000, idle_ms: 250, connect_ms: 700 });
    expect(() => fromProviderForm({ ...form, headers: "no colon here" })).toThrow(/headers, line 1/);
    expect(() => fromProviderForm({ ...form, timeouts: { ...form.timeouts, idle_ms: "soon" } })).toThrow(/timeouts.idle_ms/);
  });

  it("never shows a credential header's value, and keeps it when saved masked", () => {
    const provider = normalizeProvider({
      id: "gw",
      type: "openai",
      base_url: "https://gw.example.com/v1",
      headers: { "X-Api-Key": "hk-secret-9876", "X-Team": "blue" },
    });
    const form = toProviderForm(provider);
    expect(form.headers).toBe(`X-Api-Key: ${MASKED_VALUE}\nX-Team: blue`);
    expect(JSON.stringify(form)).not.toContain("hk-secret-9876");
    const saved = normalizeProvider(fromProviderForm(form));
    expect(restoreMaskedHeaders(saved.headers, provider.headers)).toEqual(provider.headers);
    // A new credential header left masked has no value to keep.
    expect(() => restoreMaskedHeaders({ Authorization: MASKED_VALUE }, provider.headers)).toThrow(/type the value of Authorization/);
  });

  it("refuses settings that are not a JSON object", () => {
    const form = toProviderForm(config.providers[0]!);
    expect(() => fromProviderForm({ ...form, settings: "{nope" })).toThrow(/not valid JSON/);
    expect(() => fromProviderForm({ ...form, settings: "[1]" })).toThrow(/JSON object/);
  });
});

describe("providerFormProblems", () => {
  it("names every problem at once: each bad timeout and what the schema refuses", () => {
    const form = toProviderForm(normalizeProvider({ id: "p", type: "openai", base_url: "https://api.example.com/v1", models: ["m"] }));
    expect(providerFormProblems(form)).toEqual([]);
    const bad = { ...form, id: "has spaces", base_url: "not a url", timeouts: { ...form.timeouts, connect_ms: "soon", idle_ms: "-5" } };
    const problems = providerFormProblems(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        "timeouts.connect_ms: a whole number of milliseconds",
        "timeouts.idle_ms: a whole number of milliseconds",
        "id: letters, digits and . _ : - only (no spaces)",
        "base_url: an http(s) URL, such as https://api.example.com/v1",
      ]),
    );
    expect(problems).toHaveLength(4);
    expect(providerFormProblems({ ...form, settings: "{oops" })).toEqual([expect.stringMatching(/^settings: not valid JSON/)]);
  });
});
