/**
 * Dashboard sessions, kept server-side: the browser holds a random token, the database its SHA-256, expiry and
 * user. Every check reads the database, so a sign-out (or a disabled user) on one replica ends the session on all
 * of them at once (admin pages are few requests; nothing on the /v1 path reads this).
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { SessionStore } from "./store.js";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export function sessionStore(prisma: PrismaClient): SessionStore {
  return {
    async create(ttlMs, generation, userId) {
      const token = randomBytes(32).toString("base64url");
      const now = Date.now();
      // Expired rows go as new ones come, so the table holds live sessions only.
      await prisma.adminSession.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
      await prisma.adminSession.create({ data: { id: hash(token), expiresAt: new Date(now + ttlMs), generation, userId } });
      return token;
    },
    async lookup(token) {
      if (!token || token.length > 200) return null;
      const row = await prisma.adminSession.findUnique({ where: { id: hash(token) } });
      if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now() || !row.userId) return null;
      return { userId: row.userId, generation: row.generation };
    },
    async revoke(token) {
      await prisma.adminSession.updateMany({ where: { id: hash(token), revokedAt: null }, data: { revokedAt: new Date() } });
    },
    async revokeUser(userId) {
      const { count } = await prisma.adminSession.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
      return count;
    },
    async revokeAll() {
      const { count } = await prisma.adminSession.updateMany({ where: { revokedAt: null }, data: { revokedAt: new Date() } });
      return count;
    },
  };
}
