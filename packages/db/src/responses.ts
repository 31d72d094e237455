/**
 * Stored Responses-API responses in the database, so every replica can answer GET /v1/responses/{id} and
 * continue previous_response_id. Rows are the key's own: another key's id reads as absent.
 */
import type { ResponseStore, StoredResponse } from "@interference/core";
import type { PrismaClient } from "./generated/prisma/client.js";

/** Expired rows are swept at most this often, by whichever save comes next. */
const SWEEP_EVERY_MS = 60_000;

export function responseStore(prisma: PrismaClient): ResponseStore {
  let lastSweep = 0;
  const owned = (id: string, keyId: string | null) => ({ id, apiKeyId: keyId, expiresAt: { gt: new Date() } });
  return {
    async save(stored: StoredResponse) {
      const now = Date.now();
      if (now - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now;
        await prisma.storedResponse.deleteMany({ where: { expiresAt: { lte: new Date(now) } } });
      }
      const data = {
        apiKeyId: stored.keyId,
        createdAt: stored.createdAt,
        expiresAt: stored.expiresAt,
        response: stored.response as object,
        inputItems: stored.inputItems as object[],
        conversation: stored.conversation as object[],
      };
      await prisma.storedResponse.upsert({ where: { id: stored.id }, create: { id: stored.id, ...data }, update: data });
    },
    async get(id, keyId) {
      const row = await prisma.storedResponse.findFirst({ where: owned(id, keyId) });
      if (!row) return null;
      return {
        id: row.id,
        keyId: row.apiKeyId,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        response: row.response as unknown as StoredResponse["response"],
        inputItems: row.inputItems as StoredResponse["inputItems"],
        conversation: row.conversation as unknown as StoredResponse["conversation"],
      };
    },
    async delete(id, keyId) {
      const { count } = await prisma.storedResponse.deleteMany({ where: owned(id, keyId) });
      return count > 0;
    },
  };
}
