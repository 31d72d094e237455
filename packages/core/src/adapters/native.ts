/** A NativeApi over one provider's base URL: POST JSON, read JSON or SSE, with the provider's own headers. */
import type { UpstreamClient } from "../upstream/client.js";
import { EncodedJson, type NativeApi, type NativeRequestBody } from "./types.js";

const encode = (body: NativeRequestBody): string | Buffer => (body instanceof EncodedJson ? body.bytes : JSON.stringify(body));

export function nativeApi(client: UpstreamClient, baseUrl: string, headersFor: (forwarded: Record<string, string>) => Record<string, string>): NativeApi {
  return {
    send: (path, body, forwarded, ctx) =>
      client.json({ url: `${baseUrl}${path}`, headers: headersFor(forwarded), body: encode(body), signal: ctx.signal, timeouts: ctx.timeouts }),
    stream: (path, body, forwarded, ctx) =>
      client.eventBatches({
        url: `${baseUrl}${path}`,
        headers: { ...headersFor(forwarded), accept: "text/event-stream" },
        body: encode(body),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      }),
  };
}
