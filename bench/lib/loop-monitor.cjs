// Preloaded into a Node target (NODE_OPTIONS=--require): its event-loop delay, written to LOOP_MONITOR_FILE as JSON
// on SIGUSR2 and started afresh, so the bench reads one figure per load level.
const { monitorEventLoopDelay } = require("node:perf_hooks");
const { writeFileSync } = require("node:fs");

const file = process.env.LOOP_MONITOR_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  process.on("SIGUSR2", () => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    writeFileSync(file, JSON.stringify({ pid: process.pid, maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) }));
    h.reset();
  });
}
