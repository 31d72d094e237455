-- A dashboard session is valid only under the admin password it was made with (a fingerprint of its hash): a
-- password changed on one replica ends, on every replica, the sessions made with the old one.

-- AlterTable
ALTER TABLE "AdminSession" ADD COLUMN "generation" TEXT NOT NULL DEFAULT '';
