/**
 * The /v1 authenticator over the API key store: Bearer keys (or `x-api-key`), scopes, per-key rate limits.
 * Until the first key is created (and unless REQUIRE_API_KEY=true) /v1 stays open, so a fresh install works at once.
 */
import { ANONYMOUS, budgetsFor, GatewayError, type AuthContext, type Authenticator } from "@interference/core";
import type { ApiKeyStore } from "./store.js";

export function createAuthenticator(keys: ApiKeyStore, opts: { require?: boolean } = {}): Authenticator {
  return async (headers): Promise<AuthContext> => {
    const secret = bearer(headers);
    if (!secret) {
      if (!opts.require && (await keys.countAll()) === 0) return ANONYMOUS;
      throw new GatewayError(401, "authentication_error", "missing_api_key", "This gateway requires an API key: send `Authorization: Bearer <key>`.");
    }
    const record = await keys.verify(secret);
    if (!record) {
      // Clients such as the openai SDK always send some key: accept any while the gateway has none.
      if (!opts.require && (await keys.countAll()) === 0) return ANONYMOUS;
      throw new GatewayError(401, "authentication_error", "invalid_api_key", "Invalid or revoked API key.");
    }
    if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) {
      throw new GatewayError(401, "authentication_error", "expired_api_key", `This API key expired at ${record.expiresAt.toISOString()}: ask for a new one.`);
    }
    // The gateway enforces the limits (after the key id is on the request's log row).
    const limits = record.rateLimitRpm || record.rateLimitTpm ? { rpm: record.rateLimitRpm, tpm: record.rateLimitTpm } : null;
    const { team } = record;
    const budgets = [...budgetsFor("key", record.id, record.budgets), ...(team ? budgetsFor("team", team.id, team.budgets, team.name) : [])];
    return {
      keyId: record.id,
      allowedProviders: record.allowedProviders,
      allowedModels: record.allowedModels,
      limits,
      team: team ? { id: team.id, name: team.name, cache: team.cache } : null,
      budgets: budgets.length ? budgets : null,
      streamRecovery: record.streamRecovery,
      cache: record.cache,
    };
  };
}

function bearer(headers: Record<string, string | undefined>): string | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1]! : null;
  }
  return headers["x-api-key"]?.trim() || null;
}
