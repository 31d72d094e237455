/** Serves the gateway handler on node:http: the /v1 hot path, with no framework in between. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError, UpstreamError } from "../errors.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "./types.js";

export type GatewayHandler = (req: GatewayHttpRequest) => Promise<GatewayHttpResponse>;

function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, "invalid_request_error", "request_too_large", `Request body is larger than ${limit} bytes.`);
}

export function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume(); // drain quietly; the 413 goes out and the connection closes
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function toGatewayRequest(req: IncomingMessage, controller: AbortController): GatewayHttpRequest {
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  return {
    method: req.method ?? "GET",
    path: q === -1 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q === -1 ? "" : raw.slice(q + 1)),
    headers,
    readBody: (limit) => readNodeBody(req, limit),
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
  };
}

/** What a response waits for before it ends (the log row's durability); null or undefined: nothing. */
export type BeforeEnd = () => Promise<void> | null | undefined;

/** Writes a gateway response; streams honour back-pressure and stop when the client leaves. */
export async function writeNodeResponse(res: ServerResponse, out: GatewayHttpResponse, beforeEnd?: BeforeEnd): Promise<void> {
  const body = out.body;
  if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
    const wait = beforeEnd?.();
    if (wait) await wait;
    if (body !== undefined) out.headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(out.status, out.headers);
    res.end(body);
    return;
  }
  res.writeHead(out.status, out.headers);
  res.flushHeaders();
  for await (const piece of body) {
    if (res.destroyed) break;
    if (!res.write(piece)) await drainOrClose(res);
  }
  const wait = beforeEnd?.();
  if (wait) await wait;
  res.end();
}

/** Waits for the socket to take more, or to go away; both listeners are removed either way (a slow reader can
 * make a stream wait thousands of times, and listeners left behind pile up). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export function nodeListener(handler: GatewayHandler, beforeEnd?: BeforeEnd) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort(new DOMException("client closed the connection", "AbortError"));
    });
    handler(toGatewayRequest(req, controller))
      .then((out) => writeNodeResponse(res, out, beforeEnd))
      .catch((err) => {
        // A provider that broke while its bytes were streaming (generated audio): the route logged it; cutting the
        // connection is how the client learns the body is incomplete.
        if (res.headersSent && err instanceof UpstreamError) return void res.destroy();
        // The handler answers its own errors; this is the last guard so a bug never crashes the server.
        console.error("[interference] unhandled error while responding:", err);
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "The gateway hit an internal error.", type: "server_error", param: null, code: "internal_error" } }));
        } else res.destroy();
      });
  };
}
