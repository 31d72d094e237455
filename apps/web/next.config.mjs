/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded as plain Node modules rather than bundled. Next does not apply this to workspace packages
  // (vercel/next.js#84388): the dashboard's server chunks still carry their own copy of @interference/core and
  // @interference/db; the runtime itself is one per process (lib/runtime.ts keeps it on globalThis).
  serverExternalPackages: ["@interference/core", "@interference/db", "node-llama-cpp", "usearch", "@electric-sql/pglite-pgvector"],
  poweredByHeader: false,
  // The dashboard's routes load on their first request instead of at start: a gateway that only serves /v1 never
  // loads them (idle RSS 198-233 MB, median 200, against 221-253 MB, median 251, over 6-7 starts each; the first
  // dashboard page takes 223-416 ms instead of 149-238 ms, once).
  experimental: { preloadEntriesOnStart: false },
  reactStrictMode: true,
};
export default nextConfig;
