/** @type {import('next').NextConfig} */
const nextConfig = {
  // The gateway core (and what it loads: native model bindings, Prisma) runs as plain Node modules, one instance
  // shared with the custom server, never bundled into Next's server chunks.
  serverExternalPackages: ["@interference/core", "@interference/db", "node-llama-cpp", "usearch", "@electric-sql/pglite-pgvector"],
  poweredByHeader: false,
  reactStrictMode: true,
};
export default nextConfig;
