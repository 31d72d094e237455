import { describe, expect, it } from "vitest";
import { parseConfig } from "./load.js";

describe("parseConfig", () => {
  it("gives every provider the top-level connect_ms unless it sets its own (a pool's connect timeout is per provider)", () => {
    const config = parseConfig(`timeouts: { connect_ms: 1500, total_ms: 9000 }
providers:
  - { id: a, type: openai, base_url: "http://127.0.0.1:1/v1", models: [m] }
  - { id: b, type: openai, base_url: "http://127.0.0.1:1/v1", models: [m], timeouts: { connect_ms: 200, idle_ms: 50 } }
`);
    expect(config.providers[0]!.timeouts).toEqual({ connect_ms: 1500 });
    expect(config.providers[1]!.timeouts).toEqual({ connect_ms: 200, idle_ms: 50 });
    // total_ms stays the request's: a provider's own total_ms means something else (a bound per attempt).
    expect(config.timeouts.total_ms).toBe(9000);
  });

  it("reads the routing section: a strategy, one per model, the fallback, and providers' weights", () => {
    const config = parseConfig(`routing:
  strategy: latency
  models: { gpt-4o-mini: { strategy: weighted } }
  fallback: b
providers:
  - { id: a, type: openai, base_url: "http://127.0.0.1:1/v1", weight: 3, data_collection: deny, models: [{ id: gpt-4o-mini, context_window: 128000 }] }
  - { id: b, type: openai, base_url: "http://127.0.0.1:1/v1", models: [m] }
`);
    expect(config.routing).toEqual({ strategy: "latency", models: { "gpt-4o-mini": "weighted" }, fallback: "b", modelFallbacks: {} });
    expect(config.providers[0]).toMatchObject({
      weight: 3,
      data_collection: "deny",
      models: [{ id: "gpt-4o-mini", upstream: "gpt-4o-mini", context_window: 128000 }],
    });
    expect(config.providers[1]).toMatchObject({ weight: 1, data_collection: "allow" });
  });

  it("carries the sso: section as written, with ${ENV} filled in, for the dashboard to check", () => {
    const config = parseConfig(`sso: { issuer: "https://idp.example.com", client_secret: "\${SSO_SECRET}", role_mappings: [{ group: g, role: admin }] }\n`, {
      SSO_SECRET: "from-env",
    });
    expect(config.sso).toEqual({ issuer: "https://idp.example.com", client_secret: "from-env", role_mappings: [{ group: "g", role: "admin" }] });
    expect(parseConfig("providers: []\n").sso).toBeUndefined();
  });

  it("stops on a misspelt key, naming its path and the keys known there", () => {
    const base = `  - { id: a, type: openai, base_url: "http://127.0.0.1:1/v1", models: [m] }`;
    expect(() => parseConfig(`routng: { strategy: latency }\nproviders:\n${base}`)).toThrow(
      /\(top level\): unknown key "routng" \(known: providers, timeouts, retries, circuit_breaker, routing, cache, sso\)/,
    );
    expect(() => parseConfig(`routing: { stratgy: latency }\nproviders:\n${base}`)).toThrow(
      /routing: unknown key "stratgy" \(known: strategy, models, fallback\)/,
    );
    expect(() => parseConfig(`routing: { strategy: fastest }\nproviders:\n${base}`)).toThrow(/routing.strategy/);
    expect(() => parseConfig(`providers:\n  - { id: a, type: openai, base_url: "http://127.0.0.1:1/v1", wieght: 3 }`)).toThrow(
      /providers\[0\]: provider a: unknown key "wieght" \(known: id, type, .*weight.*responses_api/,
    );
    expect(() => parseConfig(`providers:\n  - { id: a, type: openai, base_url: "http://127.0.0.1:1/v1", retries: { mx: 2 } }`)).toThrow(
      /providers\[0\].retries: unknown key "mx" \(known: max, base_ms, max_ms\)/,
    );
    expect(() => parseConfig(`routing: { fallback: nobody }\nproviders:\n${base}`)).toThrow(/routing: fallback "nobody": no provider has this id/);
    expect(() => parseConfig(`routing: { models: { m: { fallback: nobody } } }\nproviders:\n${base}`)).toThrow(/routing: fallback "nobody"/);
    expect(() => parseConfig(`routing: { models: { m: {} } }\nproviders:\n${base}`)).toThrow(/give a strategy, a fallback or both/);
  });
});
