/**
 * Stored Responses-API responses in the database, so every replica can answer GET /v1/responses/{id} and
 * continue previous_response_id. Rows are the key's own: another key's id reads as absent. Saved on every
 * Responses request that stores (OpenAI's default), so its statements are plain SQL (`sql.ts`).
 */
import type { ResponseStore, StoredResponse } from "@interference/core";
import type { Sql } from "./sql.js";

/** Expired rows are swept at most this often, by whichever save comes next. */
const SWEEP_EVERY_MS = 60_000;

// JSON goes in and out as text (`::text::jsonb`, `::text`): the same on PGlite and through Prisma's raw SQL.
const SAVE = `INSERT INTO "StoredResponse" (id, "apiKeyId", "createdAt", "expiresAt", response, "inputItems", conversation)
  VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb)
  ON CONFLICT (id) DO UPDATE SET "apiKeyId" = EXCLUDED."apiKeyId", "createdAt" = EXCLUDED."createdAt",
    "expiresAt" = EXCLUDED."expiresAt", response = EXCLUDED.response, "inputItems" = EXCLUDED."inputItems",
    conversation = EXCLUDED.conversation`;
/** The key's own (none: open mode's), not expired. */
const OWNED = `id = $1 AND "apiKeyId" IS NOT DISTINCT FROM $2::text AND "expiresAt" > $3`;
const GET = `SELECT id, "apiKeyId", "createdAt", "expiresAt", response::text AS response, "inputItems"::text AS "inputItems",
  conversation::text AS conversation FROM "StoredResponse" WHERE ${OWNED}`;
const DELETE = `DELETE FROM "StoredResponse" WHERE ${OWNED}`;
const SWEEP = `DELETE FROM "StoredResponse" WHERE "expiresAt" <= $1`;

interface Row {
  id: string;
  apiKeyId: string | null;
  createdAt: Date | string;
  expiresAt: Date | string;
  response: string;
  inputItems: string;
  conversation: string;
}

export function responseStore(sql: Sql): ResponseStore {
  let lastSweep = 0;
  return {
    async save(stored: StoredResponse) {
      const now = Date.now();
      if (now - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now;
        await sql.execute(SWEEP, [new Date(now)]);
      }
      await sql.execute(SAVE, [
        stored.id,
        stored.keyId,
        stored.createdAt,
        stored.expiresAt,
        JSON.stringify(stored.response),
        JSON.stringify(stored.inputItems),
        JSON.stringify(stored.conversation),
      ]);
    },
    async get(id, keyId) {
      const [row] = await sql.query<Row>(GET, [id, keyId, new Date()]);
      if (!row) return null;
      return {
        id: row.id,
        keyId: row.apiKeyId,
        createdAt: new Date(row.createdAt),
        expiresAt: new Date(row.expiresAt),
        response: JSON.parse(row.response) as StoredResponse["response"],
        inputItems: JSON.parse(row.inputItems) as StoredResponse["inputItems"],
        conversation: JSON.parse(row.conversation) as StoredResponse["conversation"],
      };
    },
    async delete(id, keyId) {
      return (await sql.execute(DELETE, [id, keyId, new Date()])) > 0;
    },
  };
}
