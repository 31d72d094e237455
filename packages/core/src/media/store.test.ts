import { mkdtempSync, readdirSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MediaStore, sniffImage } from "./store.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const stores: MediaStore[] = [];
function store(opts: { maxAgeMs?: number; maxTotalBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "media-"));
  const s = new MediaStore({ dir, maxAgeMs: opts.maxAgeMs ?? 60_000, maxTotalBytes: opts.maxTotalBytes ?? 1 << 20 });
  stores.push(s);
  return { s, dir };
}
afterEach(() => stores.splice(0).forEach((s) => s.close()));

describe("MediaStore", () => {
  it("sniffs the image types it serves and rejects anything else", () => {
    expect(sniffImage(PNG)).toBe("image/png");
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImage(Buffer.from("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(sniffImage(Buffer.from("GIF89a..."))).toBe("image/gif");
    expect(sniffImage(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
  });

  it("stores under an unguessable name and reads the same bytes back", async () => {
    const { s } = store();
    const a = await s.put(PNG, "image/png");
    const b = await s.put(PNG, "image/png");
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}\.png$/);
    expect(a).not.toBe(b);
    const f = (await s.open(a))!;
    expect(f.mimeType).toBe("image/png");
    expect(Buffer.compare(await f.handle.readFile(), PNG)).toBe(0);
    await f.handle.close();
  });

  it("never opens a name outside the strict pattern", async () => {
    const { s } = store();
    for (const bad of ["../../etc/passwd", "..%2Fx.png", "AAAAAAAAAAAAAAAAAAAAAA.svg", "AAAAAAAAAAAAAAAAAAAAAA.png/..", ""]) {
      expect(await s.open(bad)).toBeNull();
    }
    expect(await s.open("AAAAAAAAAAAAAAAAAAAAAA.png")).toBeNull();
  });

  it("enforces the age limit on read and on sweep", async () => {
    const { s, dir } = store({ maxAgeMs: 1000 });
    const name = await s.put(PNG, "image/png");
    const old = new Date(Date.now() - 5000);
    utimesSync(join(dir, name), old, old);
    expect(await s.open(name)).toBeNull();
    await s.sweep();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("enforces the total size limit, deleting the oldest first", async () => {
    const { s, dir } = store({ maxTotalBytes: PNG.length * 2 });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      names.push(await s.put(PNG, "image/png"));
      const t = new Date(Date.now() - (10 - i) * 1000);
      utimesSync(join(dir, names[i]!), t, t);
    }
    await s.sweep();
    expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
  });
});
