/**
 * Stored Responses-API responses in the database, so every replica can answer GET /v1/responses/{id} and
 * continue previous_response_id. Rows are the key's own: another key's id reads as absent. Saved on every
 * Responses request that stores (OpenAI's default), so its statements are plain SQL (`sql.ts`), and the saves of
 * one turn of the event loop, or made while a batch is being written, go to the database as one statement. Each
 * save still resolves only once its row is in, so an answer never names a response that cannot be read yet.
 */
import type { ResponseStore, StoredResponse } from "@interference/core";
import { refusesTheRows } from "./logs.js";
import type { Sql } from "./sql.js";

/** Expired rows are swept at most this often, by whichever save comes next. */
const SWEEP_EVERY_MS = 60_000;
/** Rows in one statement at most: a stored conversation can be hundreds of KB. */
const MAX_BATCH = 64;

// JSON goes in as text (`::text::jsonb`, one parameter for the whole batch) and out as text (`::text`): the same
// on PGlite and through Prisma's raw SQL.
const SAVE = `INSERT INTO "StoredResponse" (id, "apiKeyId", "createdAt", "expiresAt", response, "inputItems", conversation)
  SELECT id, "apiKeyId", "createdAt", "expiresAt", response, "inputItems", conversation
  FROM jsonb_to_recordset($1::text::jsonb) AS r(id text, "apiKeyId" text, "createdAt" timestamptz, "expiresAt" timestamptz,
    response jsonb, "inputItems" jsonb, conversation jsonb)
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

interface PendingSave {
  stored: StoredResponse;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The rows as the statement's one parameter; a response saved twice in one batch once, as last saved. */
function rowsText(batch: readonly PendingSave[]): string {
  const byId = new Map<string, StoredResponse>();
  for (const { stored } of batch) byId.set(stored.id, stored);
  return JSON.stringify(
    Array.from(byId.values(), (s) => ({
      id: s.id,
      apiKeyId: s.keyId,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      response: s.response,
      inputItems: s.inputItems,
      conversation: s.conversation,
    })),
  );
}

export function responseStore(sql: Sql): ResponseStore {
  let lastSweep = 0;
  const queue: PendingSave[] = [];
  let writing = false;

  const write = async (batch: readonly PendingSave[]) => {
    const now = Date.now();
    if (now - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = now;
      await sql.execute(SWEEP, [new Date(now)]);
    }
    await sql.execute(SAVE, [rowsText(batch)]);
  };
  const writeAll = async () => {
    while (queue.length) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await write(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1 || !refusesTheRows(err)) {
          for (const p of batch) p.reject(err);
          continue;
        }
        // One row the database refuses (text PostgreSQL cannot store, say) fails its own save, not its batch's.
        for (const p of batch) await write([p]).then(p.resolve, p.reject);
      }
    }
    writing = false;
  };

  return {
    save(stored: StoredResponse) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ stored, resolve, reject });
        if (writing) return; // the writer takes it with the next batch
        writing = true;
        setImmediate(() => void writeAll()); // the other saves of this turn join it
      });
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
