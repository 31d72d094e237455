/** Gemini generateContent wire format, as zod schemas (responses) and types (requests). */
import { z } from "zod";

const partialArg = z.looseObject({
  jsonPath: z.string(),
  stringValue: z.string().optional(),
  numberValue: z.number().optional(),
  boolValue: z.boolean().optional(),
  nullValue: z.unknown().optional(),
  willContinue: z.boolean().optional(),
});

export const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
  functionCall: z
    .looseObject({
      name: z.string().optional(),
      args: z.record(z.string(), z.unknown()).optional(),
      partialArgs: z.array(partialArg).optional(),
      willContinue: z.boolean().optional(),
    })
    .optional(),
  inlineData: z.looseObject({ mimeType: z.string(), data: z.string() }).optional(),
});
export type GeminiPart = z.infer<typeof partSchema>;

export const usageSchema = z.looseObject({
  promptTokenCount: z.number().optional(),
  cachedContentTokenCount: z.number().optional(),
  candidatesTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
  totalTokenCount: z.number().optional(),
});
export type GeminiUsage = z.infer<typeof usageSchema>;

const logprobCandidate = z.looseObject({ token: z.string().optional(), logProbability: z.number().optional() });

/** Per decoding step: the chosen token and the likeliest ones (`generationConfig.responseLogprobs`). */
const logprobsResultSchema = z.looseObject({
  chosenCandidates: z.array(logprobCandidate).optional(),
  topCandidates: z.array(z.looseObject({ candidates: z.array(logprobCandidate).optional() })).optional(),
});
export type GeminiLogprobs = z.infer<typeof logprobsResultSchema>;

export const responseSchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ parts: z.array(partSchema).optional(), role: z.string().optional() }).optional(),
        finishReason: z.string().optional(),
        index: z.number().optional(),
        logprobsResult: logprobsResultSchema.optional(),
      }),
    )
    .optional(),
  usageMetadata: usageSchema.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
});
export type GeminiResponse = z.infer<typeof responseSchema>;

export type GeminiRequestPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { fileUri: string; mimeType?: string } }
  | { functionCall: { name: string; args: unknown }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

export interface GeminiRequest {
  contents: Array<{ role: "user" | "model"; parts: GeminiRequestPart[] }>;
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: Array<{ name: string; description?: string; parameters?: Record<string, unknown> }> }>;
  toolConfig?: { functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}
