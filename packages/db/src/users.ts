/**
 * Dashboard users: an email, a role, their teams (lead or member), a password hash or an SSO subject, and
 * one-use invitation links (only the token's hash is kept). Nothing here returns a password hash but
 * `credentials`, which the sign-in check alone calls.
 */
import { createHash, randomBytes } from "node:crypto";
import { GatewayError } from "@interference/core";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { TeamRole, UserRecord, UserRole, UserStore } from "./store.js";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");
const WITH_TEAMS = { include: { teams: { include: { team: { select: { name: true } } } } } } as const;

type Row = NonNullable<Awaited<ReturnType<PrismaClient["user"]["findUnique"]>>> & {
  teams: Array<{ teamId: string; role: string; team: { name: string } }>;
};

const toRecord = (row: Row): UserRecord => ({
  id: row.id,
  email: row.email,
  role: row.role as UserRole,
  roleSource: row.roleSource === "sso" ? "sso" : "manual",
  teams: row.teams.map((t) => ({ id: t.teamId, name: t.team.name, role: t.role as TeamRole })).sort((a, b) => a.name.localeCompare(b.name)),
  hasPassword: row.passwordHash !== null,
  sso: row.ssoSubject !== null,
  createdAt: row.createdAt,
  createdById: row.createdById,
  disabledAt: row.disabledAt,
  lastSignInAt: row.lastSignInAt,
});

/** A refusal from the database in words: a taken email, a team that does not exist. */
function refusal(email: string | undefined) {
  return (err: unknown): never => {
    const code = (err as { code?: string }).code;
    const message = (err as Error)?.message ?? "";
    if (code === "P2002" || /unique constraint/i.test(message)) {
      throw new GatewayError(409, "invalid_request_error", "user_exists", `A user with the email ${email} already exists.`);
    }
    if (code === "P2003" || /foreign key/i.test(message)) throw new GatewayError(400, "invalid_request_error", "unknown_team", "No such team.");
    throw err;
  };
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function userStore(prisma: PrismaClient): UserStore {
  const get = async (where: { id: string } | { email: string } | { ssoSubject: string }) => {
    const row = await prisma.user.findUnique({ where, ...WITH_TEAMS });
    return row ? toRecord(row) : null;
  };
  return {
    async list() {
      return (await prisma.user.findMany({ orderBy: { email: "asc" }, ...WITH_TEAMS })).map(toRecord);
    },
    get: (id) => get({ id }),
    byEmail: (email) => get({ email: normalizeEmail(email) }),
    bySsoSubject: (subject) => get({ ssoSubject: subject }),
    async credentials(id) {
      const row = await prisma.user.findUnique({ where: { id }, select: { passwordHash: true, disabledAt: true } });
      return row ? { passwordHash: row.passwordHash, disabled: row.disabledAt !== null } : null;
    },
    async create({ email, role, roleSource, teams, createdById, id }) {
      const row = await prisma.user
        .create({
          data: {
            id: id ?? `usr_${randomBytes(8).toString("hex")}`,
            email: normalizeEmail(email),
            role,
            roleSource: roleSource ?? "manual",
            createdById,
            teams: { create: (teams ?? []).map((t) => ({ teamId: t.id, role: t.role })) },
          },
          ...WITH_TEAMS,
        })
        .catch(refusal(email));
      return toRecord(row);
    },
    async update(id, { email, role, roleSource, teams }) {
      const exists = await prisma.user.findUnique({ where: { id }, select: { id: true } });
      if (!exists) return null;
      await prisma
        .$transaction([
          prisma.user.update({
            where: { id },
            data: {
              ...(email !== undefined ? { email: normalizeEmail(email) } : {}),
              ...(role !== undefined ? { role } : {}),
              ...(roleSource !== undefined ? { roleSource } : {}),
            },
          }),
          ...(teams
            ? [
                prisma.userTeam.deleteMany({ where: { userId: id } }),
                prisma.userTeam.createMany({ data: teams.map((t) => ({ userId: id, teamId: t.id, role: t.role })) }),
              ]
            : []),
        ])
        .catch(refusal(email));
      return get({ id });
    },
    async setPassword(id, passwordHash) {
      await prisma.user.update({ where: { id }, data: { passwordHash } });
    },
    async setDisabled(id, disabled) {
      const { count } = await prisma.user.updateMany({ where: { id }, data: { disabledAt: disabled ? new Date() : null } });
      return count ? get({ id }) : null;
    },
    async linkSso(id, subject) {
      await prisma.user.update({ where: { id }, data: { ssoSubject: subject } });
    },
    async signedIn(id) {
      await prisma.user.update({ where: { id }, data: { lastSignInAt: new Date() } });
    },
    async createInvite(userId, ttlMs) {
      const token = randomBytes(24).toString("base64url");
      const expiresAt = new Date(Date.now() + ttlMs);
      // Expired or used invites go as new ones come; a new invite replaces the user's earlier ones.
      await prisma.invite.deleteMany({ where: { OR: [{ expiresAt: { lt: new Date() } }, { usedAt: { not: null } }, { userId }] } });
      await prisma.invite.create({ data: { id: hash(token), userId, expiresAt } });
      return { token, expiresAt };
    },
    async invite(token, { consume = false } = {}) {
      if (!token || token.length > 200) return null;
      const live = { id: hash(token), usedAt: null, expiresAt: { gt: new Date() } };
      const row = await prisma.invite.findFirst({ where: live });
      if (!row) return null;
      // One use: of two requests racing with the same link, only the one whose update matched goes on.
      if (consume && (await prisma.invite.updateMany({ where: live, data: { usedAt: new Date() } })).count !== 1) return null;
      return get({ id: row.userId });
    },
  };
}
