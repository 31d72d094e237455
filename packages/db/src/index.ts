export * from "./store.js";
export { openStore, defaultDatabaseUrl, redactUrl, MIGRATIONS_DIR, type OpenedStore, type OpenStoreOptions } from "./open.js";
export { createAuthenticator } from "./auth.js";
export { configHash, toPublicProvider, MASKED_SECRET } from "./providers.js";
export { LogWriter, jsonBatchInsert, pgliteCopyInsert, type BatchInsert, type LogWriterOptions } from "./logs.js";
export { openPGlite } from "./pglite.js";
export { migrate, readMigrations } from "./migrate.js";
export type { CachedApiKeyStore } from "./api-keys.js";
export type { RoutingStore } from "./routing.js";
