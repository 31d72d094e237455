import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./breaker.js";

describe("CircuitBreaker", () => {
  it("opens after N failures in a row, probes once after the cool-down, then closes or re-opens", () => {
    let now = 0;
    const b = new CircuitBreaker({ failure_threshold: 3, cooldown_ms: 1000 }, () => now);
    b.failure();
    b.failure();
    b.success(); // a success resets the count
    b.failure();
    b.failure();
    expect(b.state).toBe("closed");
    b.failure();
    expect(b.state).toBe("open");
    expect(b.begin()).toBe(false);
    now = 600;
    expect(b.retryInMs()).toBe(400);
    now = 1000;
    expect(b.state).toBe("half_open");
    expect(b.begin()).toBe(true); // the probe
    expect(b.begin()).toBe(false); // only one
    b.failure();
    expect(b.state).toBe("open");
    now = 2000;
    expect(b.begin()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(b.begin()).toBe(true);
  });
});
