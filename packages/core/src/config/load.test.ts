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
});
