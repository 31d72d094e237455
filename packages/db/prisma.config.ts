// Prisma CLI settings. The gateway itself never runs the CLI: it applies prisma/migrations at start-up
// (src/migrate.ts) and connects through a driver adapter (PGlite or PostgreSQL).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test" },
});
