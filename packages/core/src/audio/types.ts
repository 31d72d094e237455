/**
 * Audio: OpenAI's transcriptions and translations (multipart uploads) and speech (JSON in, audio bytes out), as
 * the gateway checks them before choosing a provider.
 */
import { z } from "zod";
import { badRequest } from "../errors.js";

export const TRANSCRIPTION_FORMATS = ["json", "text", "srt", "verbose_json", "vtt", "diarized_json"] as const;

/** The form fields of a transcription or translation, checked; the file stays as the client sent it. */
export const transcriptionFieldsSchema = z.looseObject({
  model: z.string().min(1).optional(),
  provider: z.string().optional(),
  language: z.string().min(2).max(16).optional(),
  prompt: z.string().max(10_000).optional(),
  response_format: z.enum(TRANSCRIPTION_FORMATS).optional(),
  temperature: z.coerce.number().min(0).max(1).optional(),
  "timestamp_granularities[]": z.array(z.enum(["word", "segment"])).optional(),
  stream: z.enum(["true", "false"]).optional(),
});

export const speechRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  provider: z.string().optional(),
  input: z.string().min(1, "input must not be empty").max(4096),
  voice: z.union([z.string().min(1), z.looseObject({ id: z.string() })]),
  response_format: z.enum(["mp3", "opus", "aac", "flac", "wav", "pcm"]).nullish(),
  speed: z.number().min(0.25).max(4).nullish(),
  instructions: z.string().max(10_000).nullish(),
  stream_format: z.enum(["audio", "sse"]).nullish(),
  drop_params: z.boolean().optional(),
});
export type SpeechRequest = z.infer<typeof speechRequestSchema>;

/** A parsed upload: the fields (repeated ones as lists) and the file. */
export interface AudioUpload {
  fields: Record<string, string | string[]>;
  file: File;
}

/**
 * The most parts a form may have: OpenAI's transcription form has about a dozen fields (a few repeated, like
 * `timestamp_granularities[]`). A form of 280,000 fields once took 2.4 s to parse and an 18 MB error to answer.
 */
export const MAX_FORM_PARTS = 100;

/** How many parts a multipart body has (its boundary lines), counted up to `limit + 1` without parsing it. */
function partCount(raw: Buffer, contentType: string, limit: number): number {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return 0;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let count = 0;
  for (let at = raw.indexOf(delimiter); at >= 0 && count <= limit + 1; at = raw.indexOf(delimiter, at + delimiter.length)) count++;
  // The last delimiter closes the form: it opens no part.
  return count - 1;
}

/** Reads a multipart/form-data body (Node's own parser, the one fetch uses); a file is required. */
export async function parseUpload(raw: Buffer, contentType: string | undefined): Promise<AudioUpload> {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) {
    throw badRequest("unsupported_media_type", "Send the audio as multipart/form-data with a `file` field.", "file");
  }
  if (partCount(raw, contentType, MAX_FORM_PARTS) > MAX_FORM_PARTS) {
    throw badRequest("too_many_fields", `The form has more than ${MAX_FORM_PARTS} fields: send the file and the fields the API takes.`, "file");
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
  } catch (err) {
    throw badRequest("invalid_multipart", `The multipart body could not be read: ${(err as Error).message}`, "file");
  }
  const fields: Record<string, string | string[]> = {};
  let file: File | null = null;
  for (const [name, value] of form.entries()) {
    if (typeof value !== "string") {
      if (name === "file") file = value;
      continue;
    }
    const prior = fields[name];
    fields[name] = prior === undefined ? (name.endsWith("[]") ? [value] : value) : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  if (!file) throw badRequest("missing_file", "The `file` field is required: the audio to transcribe.", "file");
  if (!file.size) throw badRequest("empty_file", "The uploaded file is empty.", "file");
  return { fields, file };
}
