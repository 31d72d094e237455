"use client";
/** The Purge cache button of a key or a team: asks for a namespace (empty: all), then says what it deleted. */
import { trpc } from "@/lib/trpc/client";

export default function PurgeCacheButton({
  owner,
  id,
  name,
  title,
  onDone,
  onError,
}: {
  owner: "key" | "team";
  id: string;
  name: string;
  title: string;
  onDone: (message: string) => void;
  onError: (message: string) => void;
}) {
  return (
    <button
      title={title}
      onClick={() => {
        const namespace = window.prompt(`Purge ${name}'s cached answers: one namespace (empty: all of them)`, "");
        if (namespace === null) return;
        void trpc.cache.purge.mutate({ owner, id, ...(namespace ? { namespace } : {}) }).then(
          ({ deleted }) => onDone(`${deleted} cached answer${deleted === 1 ? "" : "s"} of ${name}${namespace ? ` in ${namespace}` : ""} deleted.`),
          (e: Error) => onError(e.message),
        );
      }}
    >
      Purge cache
    </button>
  );
}
