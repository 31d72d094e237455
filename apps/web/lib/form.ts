/** Reading the dashboard's small form posts (sign-in, invitations): bounded, never buffered past the cap. */

/** A sign-in form is a few dozen bytes: nothing larger is read. */
export const MAX_FORM_BYTES = 4096;

/** The least a password set through an invitation may be. */
export const MIN_PASSWORD_LENGTH = 12;

/** A body's bytes, or null when it is larger than `maxBytes` (reading stops there, and the rest is cancelled). */
export async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Buffer | null> {
  const reader = body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The form's text, or null when it is larger than MAX_FORM_BYTES (reading stops there). */
export async function readForm(request: Request): Promise<string | null> {
  if (Number(request.headers.get("content-length")) > MAX_FORM_BYTES) return null;
  return (await readBounded(request.body, MAX_FORM_BYTES))?.toString("utf8") ?? null;
}
