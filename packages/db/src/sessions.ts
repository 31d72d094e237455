/**
 * Dashboard sessions, kept server-side: the browser holds a random token, the database its SHA-256 and expiry.
 * Every check reads the database, so a sign-out on one replica ends the session on all of them at once (admin
 * pages are few requests; nothing on the /v1 path reads this).
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { SessionStore } from "./store.js";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export function sessionStore(prisma: PrismaClient): SessionStore {
  return {
    async create(ttlMs, generation) {
      const token = randomBytes(32).toString("base64url");
      const now = Date.now();
      // Expired rows go as new ones come, so the table holds live sessions only.
      await prisma.adminSession.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
      await prisma.adminSession.create({ data: { id: hash(token), expiresAt: new Date(now + ttlMs), generation } });
      return token;
    },
    async isActive(token, generation) {
      if (!token || token.length > 200) return false;
      const row = await prisma.adminSession.findUnique({ where: { id: hash(token) } });
      return !!row && !row.revokedAt && row.expiresAt.getTime() > Date.now() && row.generation === generation;
    },
    async revoke(token) {
      await prisma.adminSession.updateMany({ where: { id: hash(token), revokedAt: null }, data: { revokedAt: new Date() } });
    },
    async revokeAll() {
      const { count } = await prisma.adminSession.updateMany({ where: { revokedAt: null }, data: { revokedAt: new Date() } });
      return count;
    },
  };
}
