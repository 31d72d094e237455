import { randomToken } from "../ids.js";

/** An id in OpenAI's style (`chatcmpl-…`) for responses the gateway builds itself. */
export function completionId(prefix = "chatcmpl"): string {
  return `${prefix}-${randomToken(12, "base64url")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
