import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Integration tests: they start the real built server (dist/server.js), so `pnpm build` runs first.
export default defineConfig({
  // As in tsconfig.json: "@/lib/…" is this app's own folder (unit tests import the admin API's modules).
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL(".", import.meta.url)) }] },
  test: {
    name: "web",
    include: ["test/**/*.test.ts", "lib/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
