-- People: dashboard users with roles and teams, invitation links, sessions that belong to a user, who made each
-- API key, and an append-only audit log.

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "passwordHash" TEXT,
    "roleSource" TEXT NOT NULL DEFAULT 'manual',
    "ssoSubject" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" TEXT,
    "disabledAt" TIMESTAMPTZ(3),
    "lastSignInAt" TIMESTAMPTZ(3),

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "User_ssoSubject_key" ON "User"("ssoSubject");

-- CreateTable
CREATE TABLE "UserTeam" (
    "userId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    CONSTRAINT "UserTeam_pkey" PRIMARY KEY ("userId","teamId")
);
CREATE INDEX "UserTeam_teamId_idx" ON "UserTeam"("teamId");
ALTER TABLE "UserTeam" ADD CONSTRAINT "UserTeam_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UserTeam" ADD CONSTRAINT "UserTeam_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "Invite" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Invite_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Invite_userId_idx" ON "Invite"("userId");

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "actorId" TEXT,
    "actorEmail" TEXT,
    "address" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "changes" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AuditEvent_time_idx" ON "AuditEvent"("time");
CREATE INDEX "AuditEvent_actorId_time_idx" ON "AuditEvent"("actorId", "time");
CREATE INDEX "AuditEvent_action_time_idx" ON "AuditEvent"("action", "time");

-- Append-only: no role, and no code path, may rewrite history; rows leave only by retention (DELETE).
-- (On one line: the migrator splits statements at a semicolon that ends a line.)
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$;
CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

-- AlterTable
ALTER TABLE "AdminSession" ADD COLUMN "userId" TEXT;
-- Sessions from before accounts belong to no one: they end (the first owner signs in again).
UPDATE "AdminSession" SET "revokedAt" = CURRENT_TIMESTAMP WHERE "revokedAt" IS NULL;
CREATE INDEX "AdminSession_userId_idx" ON "AdminSession"("userId");

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "createdById" TEXT;
