import { defineConfig } from "vitest/config";

// Integration tests: they start the real built server (dist/server.js), so `pnpm build` runs first.
export default defineConfig({
  test: {
    name: "web",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
