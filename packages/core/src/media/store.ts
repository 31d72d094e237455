/**
 * Generated images the gateway serves itself under /media/{id}.{ext}.
 * Ids are 128 random bits (unguessable, never reused); names are checked against one strict pattern before any
 * file system call, so path traversal cannot happen. Retention (age and total size) is enforced on every write
 * and on a timer, oldest first.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { open, readdir, rename, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

export interface MediaOptions {
  /** Folder the images are written to (created if missing). */
  dir: string;
  /** Images older than this are deleted. */
  maxAgeMs: number;
  /** When the folder holds more than this, the oldest images are deleted first. */
  maxTotalBytes: number;
  /** How often retention runs besides after writes (default 10 minutes). */
  sweepIntervalMs?: number;
}

export interface MediaFile {
  handle: FileHandle;
  mimeType: string;
  size: number;
  mtime: Date;
}

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif" };
const MIME_BY_EXT: Record<string, string> = Object.fromEntries(Object.entries(EXTENSIONS).map(([m, e]) => [e, m]));
/** 22 base64url characters = 16 random bytes, then a known extension. Nothing else is ever opened. */
const NAME = /^[A-Za-z0-9_-]{22}\.(png|jpg|webp|gif)$/;

/** The image type from its magic bytes, or null when it is not one we serve. */
export function sniffImage(data: Uint8Array): string | null {
  const b = data;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a)
    return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "image/webp";
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return "image/gif";
  return null;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

export class MediaStore {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(readonly options: MediaOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.timer = setInterval(() => void this.sweep(), options.sweepIntervalMs ?? 600_000);
    this.timer.unref();
  }

  /** Stores the image and returns its public name (`{id}.{ext}`). */
  async put(data: Uint8Array, mimeType: string): Promise<string> {
    const ext = EXTENSIONS[mimeType];
    if (!ext) throw new Error(`unsupported media type ${mimeType}`);
    const name = `${randomBytes(16).toString("base64url")}.${ext}`;
    // Write then rename: a reader never sees half a file.
    const tmp = join(this.options.dir, `.${name}.tmp`);
    await writeFile(tmp, data, { flag: "wx" });
    await rename(tmp, join(this.options.dir, name));
    void this.sweep();
    return name;
  }

  /** The stored image, or null for a malformed, unknown or expired name. The caller closes the handle. */
  async open(name: string): Promise<MediaFile | null> {
    const m = NAME.exec(name);
    if (!m) return null;
    let handle: FileHandle;
    try {
      handle = await open(join(this.options.dir, name), "r");
    } catch {
      return null;
    }
    const st = await handle.stat();
    if (!st.isFile() || Date.now() - st.mtimeMs > this.options.maxAgeMs) {
      await handle.close();
      return null;
    }
    return { handle, mimeType: MIME_BY_EXT[m[1]!]!, size: st.size, mtime: st.mtime };
  }

  /**
   * Applies retention: deletes expired images, then the oldest until the total fits. One sweep runs at a time;
   * calls made while one runs share a single follow-up sweep, so a burst of writes costs at most two.
   */
  sweep(): Promise<void> {
    if (!this.running) {
      this.running = this.runSweep().finally(() => (this.running = null));
      return this.running;
    }
    return (this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.sweep();
    }));
  }

  private async runSweep(): Promise<void> {
    const names = (await readdir(this.options.dir).catch(() => [] as string[])).filter((n) => NAME.test(n));
    const files: { path: string; size: number; mtimeMs: number }[] = [];
    for (const n of names) {
      const path = join(this.options.dir, n);
      const st = await stat(path).catch(() => null);
      if (st) files.push({ path, size: st.size, mtimeMs: st.mtimeMs });
    }
    const now = Date.now();
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    let total = files.reduce((s, f) => s + f.size, 0);
    for (const f of files) {
      const expired = now - f.mtimeMs > this.options.maxAgeMs;
      if (!expired && total <= this.options.maxTotalBytes) continue;
      await unlink(f.path).catch(() => {});
      total -= f.size;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
