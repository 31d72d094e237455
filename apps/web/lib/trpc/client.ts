"use client";
import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "./router";

/** A session that ended (expired, signed out elsewhere) sends the admin back to the sign-in page, saying why. */
const backToSignIn: TRPCLink<AppRouter> =
  () =>
  ({ next, op }) =>
    observable((observer) =>
      next(op).subscribe({
        next: (value) => observer.next(value),
        complete: () => observer.complete(),
        error: (err) => {
          if (err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === "UNAUTHORIZED") {
            window.location.assign("/login?error=expired");
          }
          observer.error(err);
        },
      }),
    );

/** The browser's tRPC client; the header marks mutations as same-site (CSRF guard). */
export const trpc = createTRPCClient<AppRouter>({
  links: [backToSignIn, httpBatchLink({ url: "/api/trpc", headers: () => ({ "x-interference-csrf": "1" }) })],
});
