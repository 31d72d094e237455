/** The public APIs whose answers are cached, as the cache reads them (cache/cache.ts). */
import { chatRequestSchema } from "../openai/schema.js";
import { decodeChatRequest } from "../apis/chat-completions/decode-request.js";
import { TRANSLATED_FIELDS as CHAT_FIELDS } from "../apis/chat-completions/params.js";
import { messagesRequestSchema, TRANSLATED_FIELDS as MESSAGES_FIELDS } from "../apis/messages/schema.js";
import { decodeMessagesRequest } from "../apis/messages/decode-request.js";
import { responsesRequestSchema, TRANSLATED_FIELDS as RESPONSES_FIELDS } from "../apis/responses/schema.js";
import { decodeResponsesRequest } from "../apis/responses/decode-request.js";
import type { CacheApiSpec } from "./cache.js";

export const CHAT_CACHE: CacheApiSpec = { api: "chat", schema: chatRequestSchema, decode: decodeChatRequest, translatedFields: CHAT_FIELDS };

export const MESSAGES_CACHE: CacheApiSpec = {
  api: "messages",
  schema: messagesRequestSchema,
  decode: (body) => decodeMessagesRequest(body),
  translatedFields: MESSAGES_FIELDS,
};

/**
 * A request that continues a stored response is decoded without its history: `previous_response_id` stays in the
 * key as sent (a field the decoder does not carry), so it only ever matches the same continuation.
 */
export const RESPONSES_CACHE: CacheApiSpec = {
  api: "responses",
  schema: responsesRequestSchema,
  decode: (body) => decodeResponsesRequest(body),
  translatedFields: new Set([...RESPONSES_FIELDS].filter((f) => f !== "previous_response_id")),
};
