/**
 * Audio over OpenAI-compatible APIs (OpenAI, Groq, any server that copies them): transcriptions and translations
 * as multipart uploads to {base}/audio/{task}, speech as JSON to {base}/audio/speech with the audio streamed back.
 */
import { UpstreamError } from "../../errors.js";
import type { ProviderConfig } from "../../config/schema.js";
import type { UpstreamClient } from "../../upstream/client.js";
import type { AudioUpload } from "../../audio/types.js";
import type { AudioCapability, CallContext, SpeechResult, TranscriptionResult } from "../types.js";
import { authHeaders } from "./chat.js";

/** OpenAI's fields for both APIs besides the file and the model. */
export const OPENAI_AUDIO_PARAMS = [
  "language",
  "prompt",
  "response_format",
  "temperature",
  "timestamp_granularities[]",
  "include[]",
  "chunking_strategy",
  "known_speaker_names[]",
  "known_speaker_references[]",
  "input",
  "voice",
  "speed",
  "instructions",
  "stream_format",
] as const;

/** Generated speech larger than this is cut off with an error: every read from an upstream is bounded. */
export const MAX_SPEECH_BYTES = 64 * 1024 * 1024;

/** The upload as the provider gets it: the same fields and file, the model its own id. */
export async function toUpstreamForm(upload: AudioUpload, model: string): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append("model", model);
  for (const [name, value] of Object.entries(upload.fields)) {
    if (name === "model") continue;
    for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  }
  form.append("file", upload.file, upload.file.name || "audio");
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get("content-type")! };
}

/** What to log and bill from a JSON transcript: its duration (verbose_json) or its usage (seconds or tokens). */
export function transcriptFacts(text: string): Pick<TranscriptionResult, "seconds" | "usage"> {
  let value: { duration?: unknown; usage?: { type?: string; seconds?: unknown; input_tokens?: unknown; output_tokens?: unknown } };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return {};
  }
  const usage = value?.usage;
  const seconds = typeof value?.duration === "number" ? value.duration : typeof usage?.seconds === "number" ? usage.seconds : undefined;
  const tokens =
    usage?.type === "tokens" && typeof usage.input_tokens === "number"
      ? { inputTokens: usage.input_tokens, outputTokens: Number(usage.output_tokens) || 0 }
      : undefined;
  return { ...(seconds !== undefined ? { seconds } : {}), ...(tokens ? { usage: tokens } : {}) };
}

/** The stream's bytes as they come, refusing more than `max` in all. */
async function* bounded(body: AsyncIterable<Uint8Array | Buffer | string>, max: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > max) throw new UpstreamError(`speech longer than ${max} bytes`, "protocol");
    yield bytes;
  }
}

export function openaiAudio(config: ProviderConfig, client: UpstreamClient): AudioCapability {
  const headers = authHeaders(config);
  // authHeaders names a JSON body; an upload names its own multipart type.
  const { "content-type": _json, ...uploadHeaders } = headers;
  return {
    params: new Set(OPENAI_AUDIO_PARAMS),

    async transcribe(upload: AudioUpload, task, ctx: CallContext): Promise<TranscriptionResult> {
      const { body, contentType } = await toUpstreamForm(upload, ctx.upstreamModel);
      const res = await client.text({
        url: `${config.base_url}/audio/${task}`,
        headers: { ...uploadHeaders, "content-type": contentType },
        body,
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      return { body: res.text, contentType: res.contentType, ...(/json/i.test(res.contentType) ? transcriptFacts(res.text) : {}) };
    },

    async speak(body: Record<string, unknown>, ctx: CallContext): Promise<SpeechResult> {
      const res = await client.send({
        url: `${config.base_url}/audio/speech`,
        headers,
        body: JSON.stringify({ ...body, model: ctx.upstreamModel }),
        signal: ctx.signal,
        timeouts: ctx.timeouts,
      });
      const ct = res.headers["content-type"];
      return { contentType: (Array.isArray(ct) ? ct[0] : ct) ?? "application/octet-stream", audio: bounded(res.body, MAX_SPEECH_BYTES) };
    },
  };
}
