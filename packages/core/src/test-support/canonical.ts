/** A canonical request for adapter tests: one user turn "x", no tools, not streamed, with `extra` over it. */
import type { CanonicalRequest } from "../canonical/types.js";

export const canonicalRequest = (extra: Partial<CanonicalRequest> = {}): CanonicalRequest => ({
  system: [],
  messages: [{ role: "user", content: [{ type: "text", text: "x" }] }],
  tools: [],
  stream: false,
  ...extra,
});
