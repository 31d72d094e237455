"use client";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "./router";

/** The browser's tRPC client; the header marks mutations as same-site (CSRF guard). */
export const trpc = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: "/api/trpc", headers: () => ({ "x-interference-csrf": "1" }) })],
});
