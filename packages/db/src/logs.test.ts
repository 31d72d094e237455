import { randomUUID } from "node:crypto";
import type { RequestLogEntry } from "@interference/core";
import { describe, expect, it } from "vitest";
import { LogWriter, recoverSpool, sqlState, storableEntry, toCopyText, type BatchInsert } from "./logs.js";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function entry(): RequestLogEntry {
  return {
    id: randomUUID(),
    time: new Date(),
    apiKeyId: null,
    teamId: null,
    routing: null,
    method: "POST",
    route: "/v1/chat/completions",
    model: "m",
    requestedProviders: null,
    attempts: [],
    provider: "a",
    servedModel: "m",
    status: 200,
    stream: false,
    latencyMs: 1,
    ttftMs: null,
    promptTokens: 1,
    completionTokens: 1,
    totalTokens: 2,
    cost: 0.0000015,
    costEstimated: false,
    audioSeconds: null,
    audioBytes: null,
    error: null,
  };
}

/** A batch insert that keeps what it is given, after a short wait like a real database. */
function recordingInsert(delayMs = 2): BatchInsert & { rows: RequestLogEntry[]; batches: number } {
  const insert = Object.assign(
    async (rows: RequestLogEntry[]) => {
      await new Promise((r) => setTimeout(r, delayMs));
      insert.rows.push(...rows);
      insert.batches++;
    },
    { rows: [] as RequestLogEntry[], batches: 0 },
  );
  return insert;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LogWriter", () => {
  it("keeps writing after its timer fires on an empty queue", async () => {
    const insert = recordingInsert();
    const writer = new LogWriter(insert, { batchSize: 5, flushIntervalMs: 20 });
    writer.write(entry()); // arms the flush timer
    for (let i = 0; i < 4; i++) writer.write(entry()); // a full batch: written at once, the queue empties
    await sleep(60); // the timer fires with nothing to write
    for (let i = 0; i < 3; i++) writer.write(entry());
    await sleep(60); // ...and these must still go out by the timer, without a flush
    expect(insert.rows).toHaveLength(8);
    expect(writer.pendingCount).toBe(0);
  });

  it("writes everything under a steady stream of rows, in batches, and loses none on flush", async () => {
    const insert = recordingInsert(5);
    const writer = new LogWriter(insert, { batchSize: 50, flushIntervalMs: 10 });
    const ids = new Set<string>();
    for (let tick = 0; tick < 40; tick++) {
      for (let i = 0; i < 1 + (tick % 7) * 10; i++) {
        const e = entry();
        ids.add(e.id);
        writer.write(e);
      }
      await sleep(tick % 3);
    }
    await writer.flush(5000);
    expect(new Set(insert.rows.map((r) => r.id))).toEqual(ids);
    expect(insert.rows).toHaveLength(ids.size);
    expect(insert.batches).toBeLessThan(ids.size / 5);
  });

  it("retries a failed batch whole, then writes it once", async () => {
    let failures = 2;
    const insert = recordingInsert();
    const flaky: BatchInsert = async (rows) => {
      if (failures-- > 0) throw new Error("database unreachable");
      await insert(rows);
    };
    const warn = console.warn;
    console.warn = () => {};
    try {
      const writer = new LogWriter(flaky, { batchSize: 10, flushIntervalMs: 5 });
      for (let i = 0; i < 25; i++) writer.write(entry());
      await writer.flush(5000);
      expect(insert.rows).toHaveLength(25);
      expect(new Set(insert.rows.map((r) => r.id)).size).toBe(25);
    } finally {
      console.warn = warn;
    }
  });

  it("sets aside only the rows the database refuses, and keeps the rest while it is down", async () => {
    const insert = recordingInsert();
    let down = true;
    const picky: BatchInsert = async (rows) => {
      if (down) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      if (rows.some((r) => r.model === "refused")) throw Object.assign(new Error("value too long"), { code: "22001" });
      await insert(rows);
    };
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => void warnings.push(m);
    try {
      const writer = new LogWriter(picky, { batchSize: 10, flushIntervalMs: 5 });
      const rows = Array.from({ length: 25 }, (_, i) => ({ ...entry(), model: i === 7 ? "refused" : "m" }));
      for (const r of rows) writer.write(r);
      await sleep(50);
      expect(writer.pendingCount).toBe(25); // unreachable: nothing is given up
      expect(writer.dropped).toBe(0);
      down = false;
      await writer.flush(5000);
      expect(insert.rows.map((r) => r.id)).toEqual(rows.filter((_, i) => i !== 7).map((r) => r.id));
      expect(writer.dropped).toBe(1);
      expect(warnings.some((w) => w.includes(rows[7]!.id) && w.includes("value too long"))).toBe(true);
    } finally {
      console.warn = warn;
    }
  });
});

describe("the spool", () => {
  it("keeps rows the database has not taken on disk, for the next start; written rows leave it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ifr-spool-"));
    const written: RequestLogEntry[] = [];
    let up = false;
    const writer = new LogWriter(
      async (rows) => {
        if (!up) throw new Error("connection refused");
        written.push(...rows);
      },
      { flushIntervalMs: 10, spoolDir: dir },
    );
    const rows = Array.from({ length: 5 }, () => entry());
    for (const row of rows) writer.write(row);
    await new Promise((r) => setTimeout(r, 50)); // a write tried and failed: the rows wait, and are on disk
    const onDisk = () => readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean));
    expect(onDisk()).toHaveLength(5);

    // The process "dies" here: a new start reads the spool into the database and empties it.
    const recovered: RequestLogEntry[] = [];
    expect(await recoverSpool(dir, async (rows) => void recovered.push(...rows))).toBe(5);
    expect(recovered.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(recovered[0]!.time).toEqual(rows[0]!.time);
    expect(readdirSync(dir)).toEqual([]);

    // A torn last line (the write the kill interrupted) is skipped, the rest recovered.
    writeFileSync(join(dir, "1-1-00000000.jsonl"), `${JSON.stringify(entry())}\n{"id":"tor`);
    expect(await recoverSpool(dir, async () => {})).toBe(1);

    // Once the database takes them, the spool empties.
    for (let i = 5; i < 300; i++) writer.write(entry());
    up = true;
    await writer.flush();
    expect(written).toHaveLength(300); // the first five too: this writer still had them queued
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the spool's writes", () => {
  const lines = (dir: string) => readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean));
  const neverWritten: BatchInsert = () => new Promise(() => {});

  it("writes the rows of one turn in one write at its end, and says when they are there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ifr-spool-"));
    const writer = new LogWriter(neverWritten, { flushIntervalMs: 60_000, spoolDir: dir });
    expect(writer.durable()).toBeNull(); // nothing appended: nothing to wait for
    const rows = Array.from({ length: 3 }, () => entry());
    for (const row of rows) writer.write(row);
    const durable = writer.durable();
    expect(durable).toBeInstanceOf(Promise);
    expect(lines(dir)).toEqual([]); // not yet: the turn is not over
    await durable;
    expect(lines(dir).map((l) => JSON.parse(l).id)).toEqual(rows.map((r) => r.id));
    expect(writer.durable()).toBeNull();
    // The next turn's rows go to the same file, after these.
    const more = entry();
    writer.write(more);
    await writer.durable();
    expect(lines(dir).map((l) => JSON.parse(l).id)).toEqual([...rows, more].map((r) => r.id));
  });

  it("writes what the turn appended when the process exits in the middle of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ifr-spool-"));
    const logs = join(import.meta.dirname, "..", "dist", "logs.js");
    // A child that appends two rows and exits before its turn ends (an uncaught error, process.exit).
    const script = `import { LogWriter } from ${JSON.stringify(logs)};
      const w = new LogWriter(() => new Promise(() => {}), { spoolDir: ${JSON.stringify(dir)} });
      w.write({ id: "a", time: new Date(0) }); w.write({ id: "b", time: new Date(0) });
      process.exit(3);`;
    const { spawnSync } = await import("node:child_process");
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.status).toBe(3);
    expect(lines(dir).map((l) => JSON.parse(l).id)).toEqual(["a", "b"]);
  });
});

describe("log rows for the database", () => {
  it("replaces the text PostgreSQL cannot store, and leaves other entries as they are", () => {
    const clean = entry();
    expect(storableEntry(clean)).toBe(clean);
    const odd = { ...entry(), model: "a\u0000b", attempts: [{ provider: "x", outcome: "failed" as const, reason: "lone \udc00" }] };
    const fixed = storableEntry(odd);
    expect(fixed.model).toBe("a\uFFFDb");
    expect(fixed.attempts[0]!.reason).toBe("lone \uFFFD");
    expect(fixed.time).toBe(odd.time);
    expect(odd.model).toBe("a\u0000b"); // the caller's entry is not changed
  });

  it("writes COPY text with PostgreSQL's escapes and \\N for null", () => {
    const e = { ...entry(), error: "a\tb\nc\\d\re", ttftMs: null, stream: true, attempts: [{ provider: "p", outcome: "served" as const }] };
    const fields = toCopyText([e]).slice(0, -1).split("\t");
    expect(fields).toHaveLength(29);
    expect(fields[23]).toBe("a\\tb\\nc\\\\d\\re");
    expect(fields.slice(24)).toEqual(["\\N", "\\N", "\\N", "\\N", "\\N"]); // no use of the response cache, no end user, no tags
    expect(fields.slice(19, 21)).toEqual(["0.0000015", "false"]);
    expect(fields[15]).toBe("\\N");
    expect(fields[13]).toBe("true");
    expect(fields[8]).toBe('[{"provider":"p","outcome":"served"}]');
    expect(fields[9]).toBe("\\N"); // routing
    expect(fields[3]).toBe("\\N"); // teamId
    expect(fields[1]).toBe(e.time.toISOString());
  });

  it("reads the SQLSTATE from PGlite's errors and from Prisma's", () => {
    expect(sqlState(Object.assign(new Error("x"), { code: "23505" }))).toBe("23505");
    expect(sqlState({ code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "22P05" } } } })).toBe("22P05");
    expect(sqlState(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBeUndefined();
  });
});
