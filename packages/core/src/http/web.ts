/** Serves the same gateway handler from a Web-standard Request (Next.js route handlers under `next dev`). */
import { GatewayError } from "../errors.js";
import type { BeforeEnd, GatewayHandler } from "./node.js";

async function readWebBody(request: Request, limit: number): Promise<Buffer> {
  if (Number(request.headers.get("content-length")) > limit || !request.body) {
    if (!request.body) return Buffer.alloc(0);
    throw new GatewayError(413, "invalid_request_error", "request_too_large", `Request body is larger than ${limit} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += c.byteLength;
    if (size > limit) throw new GatewayError(413, "invalid_request_error", "request_too_large", `Request body is larger than ${limit} bytes.`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

export function webHandler(handler: GatewayHandler, beforeEnd?: BeforeEnd) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const out = await handler({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      readBody: (limit) => readWebBody(request, limit),
      signal: request.signal,
    });
    const body = out.body;
    if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
      await beforeEnd?.();
      return new Response(body as ConstructorParameters<typeof Response>[0], { status: out.status, headers: out.headers });
    }
    const encoder = new TextEncoder();
    const iterator = body[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) {
          await beforeEnd?.();
          controller.close();
        } else controller.enqueue(typeof value === "string" ? encoder.encode(value) : value);
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    return new Response(stream, { status: out.status, headers: out.headers });
  };
}
