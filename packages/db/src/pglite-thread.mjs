// @ts-check
/**
 * The embedded database's own thread (a worker_threads worker): PGlite is opened here, so its WASM (the request
 * log's inserts, the dashboard's queries) runs beside the gateway's request thread instead of on it. The gateway's
 * side is `PGliteThread` (pglite-thread-client.ts); messages and replies are described there. Plain JavaScript,
 * checked by tsc (`// @ts-check`): a worker is started from a file, and this one must run from src/ under the
 * tests as from dist/ in production.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite, messages } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";

const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);
/** @type {{ dataDir: string | undefined; options: { startParams: string[] } }} */
const { dataDir, options } = workerData;

/** @param {string} text */
const asText = (text) => text;

/** The fields of an error that can cross to the other thread (a DatabaseError's SQLSTATE, detail, …). */
function errorFields(/** @type {unknown} */ err) {
  if (!(err instanceof Error)) return { message: String(err), database: false };
  /** @type {Record<string, unknown>} */
  const fields = { message: err.message, name: err.name, database: err instanceof messages.DatabaseError };
  for (const [key, value] of Object.entries(err)) if (value === null || ["string", "number"].includes(typeof value)) fields[key] = value;
  return fields;
}

/** @type {PGlite} */
let db;
try {
  db = await PGlite.create(dataDir, { ...options, extensions: { vector } });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: errorFields(err) });
  port.close();
  throw err;
}

port.on("message", (/** @type {import("./pglite-thread-client.js").ThreadCall} */ call) => {
  void answer(call);
});

/** Each call is answered in the order it came: PGlite queues them on its one connection. */
async function answer(/** @type {import("./pglite-thread-client.js").ThreadCall} */ call) {
  try {
    let result;
    if (call.op === "query") {
      // Values of these types come back as PostgreSQL's text; the caller's own parsers read them on its side.
      const parsers = call.textTypes.length ? Object.fromEntries(call.textTypes.map((t) => [t, asText])) : undefined;
      result = await db.query(call.sql, call.params, { rowMode: call.rowMode, parsers, blob: call.blob });
    } else if (call.op === "exec") {
      result = await db.exec(call.sql);
    } else {
      await db.close();
      port.postMessage({ id: call.id, ok: true, result: null });
      port.close();
      return;
    }
    port.postMessage({ id: call.id, ok: true, result });
  } catch (err) {
    port.postMessage({ id: call.id, ok: false, error: errorFields(err) });
  }
}
