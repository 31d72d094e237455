/**
 * OpenAI's audio API on every provider that serves audio models, with chat's provider choice and failover:
 * POST /v1/audio/transcriptions and /v1/audio/translations (multipart uploads, answered in the format asked for)
 * and POST /v1/audio/speech (the audio streamed through as the provider sends it). An upload is held in memory,
 * capped (`maxUploadBytes`), so that a provider that fails can be replaced by the next with the same bytes; the
 * log keeps its size and duration, never the audio.
 */
import { PROVIDER_HEADER, takeRoutingChoice, type RoutingPolicy } from "../routing/policy.js";
import { GatewayError, UpstreamError } from "../errors.js";
import { parseUpload, speechRequestSchema, transcriptionFieldsSchema, type AudioUpload } from "../audio/types.js";
import { planRoute, requestDeadline, runWithFailover, requireProviderFor, type RoutePlan } from "../routing/router.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "../http/types.js";
import type { LogRecorder } from "../logging/recorder.js";
import type { AuthContext } from "../auth/types.js";
import type { Timeouts } from "../config/schema.js";
import type { ProviderRegistry } from "../routing/registry.js";
import { scopeOf } from "../auth/scope.js";
import { validate } from "./body.js";
import { noteRequest, noteServed, reserveBudget } from "./serve-chat.js";
import { costOf, formatUsd } from "../spend/price.js";

/** OpenAI's own upload limit. */
export const DEFAULT_AUDIO_UPLOAD_BYTES = 25 * 1024 * 1024;

/** Fields the gateway reads itself; any other field set is a parameter the provider must take. */
const AUDIO_GATEWAY_FIELDS = new Set(["file", "model", "provider", "drop_params"]);

export interface AudioDeps {
  registry: ProviderRegistry;
  timeouts: Timeouts;
  maxUploadBytes: number;
}

function requireAudioProvider(registry: ProviderRegistry): void {
  requireProviderFor(
    registry,
    "audio",
    "no_audio_provider",
    "No audio provider is configured. Add `audio_models: [...]` to a provider of type openai (OpenAI, Groq, or any compatible server), " +
      "or `stt_model_path` and `audio_models` to a local one, in interference.yaml (see the README, 'Audio').",
  );
}

/** Parameters named by the request (set fields other than the gateway's own). */
const paramsOf = (fields: Record<string, unknown>) =>
  Object.keys(fields).filter((k) => !AUDIO_GATEWAY_FIELDS.has(k) && fields[k] !== undefined && fields[k] !== null);

/** The fields without those a provider was chosen despite (drop_params). */
function without<T extends Record<string, unknown>>(fields: T, dropped: string[]): T {
  if (!dropped.length) return fields;
  const copy: Record<string, unknown> = { ...fields };
  for (const p of dropped) delete copy[p];
  return copy as T;
}

export async function transcribe(
  deps: AudioDeps,
  task: "transcriptions" | "translations",
  req: GatewayHttpRequest,
  auth: AuthContext,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  const raw = await req.readBody(deps.maxUploadBytes);
  log.requestBytes = raw.length;
  const upload = await parseUpload(raw, req.headers["content-type"]);
  const { fields, file } = upload;
  log.entry.model = typeof fields.model === "string" ? fields.model : null;
  // A multipart form has no body to strip at the edge: the choice is taken off the form's fields here.
  const { policy } = takeRoutingChoice(typeof fields.provider === "string" ? { provider: fields.provider } : {}, {
    header: req.headers[PROVIDER_HEADER],
    query: req.query.get("provider"),
  });
  log.entry.requestedProviders = policy.source;
  log.entry.audioBytes = file.size;
  const checked = validate(transcriptionFieldsSchema, { ...fields, ...(fields.drop_params !== undefined ? { drop_params: undefined } : {}) });
  if (checked.stream === "true") {
    throw new GatewayError(
      400,
      "invalid_request_error",
      "unsupported_parameter",
      "Streamed transcriptions are not supported by the gateway yet: leave `stream` unset.",
      {
        param: "stream",
      },
    );
  }
  requireAudioProvider(deps.registry);
  const dropParams = fields.drop_params === "true";
  const plan = planRoute(deps.registry, { model: checked.model, policy, params: paramsOf(fields), drop_params: dropParams }, "audio", scopeOf(auth));
  log.setPlan(plan);
  // A key with a budget reserves a minute of audio per MB uploaded (compressed speech runs about that) at the
  // dearest price: the real duration settles it.
  const minutes = Math.max(1, Math.ceil(file.size / 1_000_000));
  await reserveBudget(log, plan, (price) => (price.per_audio_second ?? 0) * 60 * minutes);

  const deadline = requestDeadline(req, deps.timeouts);
  let served;
  try {
    served = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, (c, ctx) => {
      const sent: AudioUpload = { file, fields: without(withoutGatewayFields(fields), c.dropped) };
      return c.runtime.adapter.audio!.transcribe(sent, task, ctx);
    });
    served.release();
  } finally {
    deadline.clear();
  }
  const { result, candidate } = served;
  noteServed(log, candidate, result.model);
  if (result.seconds !== undefined) log.entry.audioSeconds = result.seconds;
  if (result.usage) log.setUsage(result.usage);
  log.finish(200);
  return { status: 200, headers: { "content-type": result.contentType, "x-interference-provider": candidate.runtime.config.id }, body: result.body };
}

/** The client's fields as a provider gets them: without the gateway's own (provider, drop_params). */
function withoutGatewayFields(fields: Record<string, string | string[]>): Record<string, string | string[]> {
  const { provider: _p, drop_params: _d, ...rest } = fields;
  return rest;
}

export async function speak(
  deps: AudioDeps,
  req: GatewayHttpRequest,
  rawBody: Record<string, unknown>,
  policy: RoutingPolicy,
  auth: AuthContext,
  log: LogRecorder,
): Promise<GatewayHttpResponse> {
  noteRequest(log, rawBody);
  const body = validate(speechRequestSchema, rawBody);
  requireAudioProvider(deps.registry);
  const plan: RoutePlan = planRoute(
    deps.registry,
    { model: body.model, policy, drop_params: body.drop_params, params: paramsOf(body) },
    "audio",
    scopeOf(auth),
  );
  log.setPlan(plan);
  log.characters = body.input.length;
  await reserveBudget(
    log,
    plan,
    (price) => costOf({ inputTokens: 0, outputTokens: 0 }, price) + ((price.per_million_characters ?? 0) * body.input.length) / 1e6,
  );

  const deadline = requestDeadline(req, deps.timeouts);
  let served;
  try {
    served = await runWithFailover(plan, { signal: deadline.signal, timeouts: deps.timeouts }, (c, ctx) => {
      const { provider: _p, drop_params: _d, ...forwarded } = body;
      return c.runtime.adapter.audio!.speak(without(forwarded, c.dropped), ctx);
    });
  } catch (err) {
    deadline.clear();
    throw err;
  }
  const { result, candidate, release } = served;
  noteServed(log, candidate);
  const id = candidate.runtime.config.id;
  // Speech is billed by the characters sent, so its cost is known before its audio: said in the header up front.
  const perMillion = log.price?.per_million_characters;
  const cost: Record<string, string> =
    perMillion === undefined ? {} : { "x-interference-cost": formatUsd(Math.round(body.input.length * perMillion * 1000) / 1e9) };

  // The provider has answered: its audio goes to the client as it comes. Past this point a failure cannot fail
  // over (the client has bytes): the connection is cut, so the client never takes a partial file for a whole one.
  async function* audio(): AsyncGenerator<Uint8Array> {
    let bytes = 0;
    let status = 200;
    let error: string | null = null;
    try {
      for await (const chunk of result.audio) {
        bytes += chunk.length;
        yield chunk;
      }
    } catch (err) {
      status = deadline.clientLeft ? 499 : deadline.expired ? 504 : 502;
      error = (err as Error)?.message ?? String(err);
      if (status === 502) candidate.runtime.health.recordFailure(`speech interrupted: ${error}`);
      throw err instanceof UpstreamError ? err : new UpstreamError(error, "protocol");
    } finally {
      if (deadline.clientLeft && status === 200) status = 499;
      release();
      deadline.clear();
      log.entry.audioBytes = bytes;
      log.finish(status, status === 499 ? "client closed the connection" : error);
    }
  }
  return { status: 200, headers: { "content-type": result.contentType, "x-interference-provider": id, ...cost }, body: audio() };
}
