/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) over a folder on disk, tuned for a gateway that
 * keeps it open for days.
 *
 * Memory, measured with the bench (bench/results): PGlite's default 128 MB buffer pool is touched in full at
 * start, and creating a new data folder (initdb) leaves some 500 MB of WASM heap behind in the process that did
 * it. So the pool is 16 MB (the request log is written in batches and read by time ranges; the operating system's
 * page cache holds the files anyway), and a new folder is created by a short-lived child process.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGliteThread } from "./pglite-thread-client.js";

export const PGLITE_SHARED_BUFFERS = "16MB";

/** packages/db: the parent of src/ and dist/ alike. */
export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

export function pgliteOptions(): { startParams: string[] } {
  return { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`] };
}

/** Whether `dir` already holds a PostgreSQL data folder. */
export function isDataFolder(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION"));
}

/**
 * Run in the child: creates the folder given as argv[1] with the options in argv[2], then exits. PGlite is found
 * from the child's working directory (this package's), not resolved here: Next's bundler rewrites resolutions.
 */
const CREATE_SCRIPT = `
const { PGlite } = require("@electric-sql/pglite");
(async () => {
  const db = await PGlite.create(process.argv[1], JSON.parse(process.argv[2]));
  await db.query("SELECT 1");
  await db.close();
})().catch((err) => { console.error(err && err.message ? err.message : err); process.exit(1); });
`;

/**
 * Creates the data folder in a child process, whose memory goes back to the system when it exits. A new folder is
 * built beside its final place and renamed there, so an interrupted first start leaves no half-made database. An
 * empty folder that already exists (a mounted volume, say) is filled in place.
 */
async function createDataFolder(dir: string): Promise<void> {
  const inPlace = existsSync(dir);
  const target = inPlace ? dir : `${dir}.creating-${process.pid}`;
  if (!inPlace) rmSync(target, { recursive: true, force: true });
  try {
    await promisify(execFile)(process.execPath, ["-e", CREATE_SCRIPT, target, JSON.stringify(pgliteOptions())], {
      timeout: 120_000,
      cwd: PACKAGE_DIR,
    });
    if (!inPlace) renameSync(target, dir);
  } catch (err) {
    if (!inPlace) rmSync(target, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`could not create the embedded database in ${dir}: ${(e.stderr || e.message).trim().split("\n").slice(-3).join(" ")}`);
  }
}

/** Opens PGlite on `where` (a folder, created on first use), or in memory when `where` is "memory:" or empty. */
export async function openPGlite(where: string): Promise<PGlite> {
  const dir = await prepareDataFolder(where);
  // pgvector, for the semantic cache's nearest-prompt search (packages/db/src/cache.ts).
  return PGlite.create(dir, { ...pgliteOptions(), extensions: { vector } });
}

/** The same database opened on a thread of its own (pglite-thread-client.ts): what the gateway runs. */
export async function openPGliteThread(where: string): Promise<PGliteThread> {
  return PGliteThread.open(await prepareDataFolder(where), pgliteOptions());
}

/** The data folder for `where`, created on first use; undefined for a database in memory. */
async function prepareDataFolder(where: string): Promise<string | undefined> {
  if (!where || where === "memory:") return undefined;
  const dir = resolve(where);
  mkdirSync(dirname(dir), { recursive: true });
  if (!isDataFolder(dir)) {
    if (existsSync(dir) && readdirSync(dir).length) {
      throw new Error(`${dir} is not empty and holds no database: choose another folder for DATABASE_URL=pglite:<folder>`);
    }
    await createDataFolder(dir);
  }
  return dir;
}
