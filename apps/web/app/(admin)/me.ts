"use client";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

export type Me = Awaited<ReturnType<typeof trpc.me.query>>;

/**
 * The signed-in user and what they act as, for showing only the controls their role can use (the admin API
 * refuses the rest whatever the page shows).
 */
export function useMe(): Me | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => void trpc.me.query().then(setMe, () => setMe(null)), []);
  return me;
}

/** Whether the user acts as any of these. */
export const actsAs = (me: Me | null, ...actors: Me["actors"]) => !!me && me.actors.some((a) => actors.includes(a));
