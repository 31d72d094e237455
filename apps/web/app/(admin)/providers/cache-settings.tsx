"use client";
/**
 * The response cache on the Providers page: how interference.yaml sets it up, and a switch per model that the
 * dashboard keeps over the file's (every replica applies it). Keys and teams have theirs on their own pages.
 */
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type Settings = Awaited<ReturnType<typeof trpc.cache.settings.query>>;

export default function CacheSettings({ onError }: { onError: (message: string | null) => void }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const load = useCallback(() => trpc.cache.settings.query().then(setSettings, (e: Error) => onError(e.message)), [onError]);
  useEffect(() => void load(), [load]);
  if (!settings) return null;

  const change = (model: string, value: string) => {
    onError(null);
    trpc.cache.setModel.mutate({ model, enabled: value === "" ? null : value === "on" }).then(load, (e: Error) => onError(e.message));
  };
  return (
    <section className="card" aria-label="response cache">
      <h2>Response cache</h2>
      <p className="muted" data-cache-summary>
        {settings.enabled ? "On" : "Off"} by default (interference.yaml) · answers in {settings.store} · kept {settings.ttlS} s · shared per {settings.scope}
        {settings.semantic ? ` · semantic: ${settings.semantic.index}, similarity ≥ ${settings.semantic.threshold}` : " · semantic: off"}. A key&apos;s or
        team&apos;s own setting comes before a model&apos;s.
      </p>
      {settings.models.length > 0 && (
        <table className="cards">
          <thead>
            <tr>
              <th>Model</th>
              <th>Cache</th>
              <th>Set by</th>
            </tr>
          </thead>
          <tbody>
            {settings.models.map((m) => (
              <tr key={m.id} data-cache-model={m.id}>
                <td data-label="Model">{m.id}</td>
                <td data-label="Cache">
                  <select
                    aria-label={`response cache for ${m.id}`}
                    value={m.set === "dashboard" ? (m.on ? "on" : "off") : ""}
                    onChange={(e) => change(m.id, e.target.value)}
                  >
                    <option value="">as the file says ({m.file ? "on" : "off"})</option>
                    <option value="on">on</option>
                    <option value="off">off</option>
                  </select>
                </td>
                <td data-label="Set by" className="muted">
                  {m.set === "dashboard" ? "dashboard" : m.set === "file" ? "interference.yaml (models:)" : "interference.yaml (enabled)"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
