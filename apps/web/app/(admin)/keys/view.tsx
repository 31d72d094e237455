"use client";
import { useCallback, useEffect, useState } from "react";
import { trpc } from "@/lib/trpc/client";

type Key = Awaited<ReturnType<typeof trpc.keys.list.query>>[number];

const EMPTY = { name: "", allowedProviders: "", allowedModels: "", rpm: "", tpm: "", daily: "", monthly: "", total: "" };
const usd = (n: number) => `$${n.toFixed(n >= 1 ? 2 : n >= 0.01 || n === 0 ? 4 : 6)}`;
const amount = (text: string) => (text ? Number(text) : null);

export default function KeysView() {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [form, setForm] = useState(EMPTY);
  const [secret, setSecret] = useState<string | null>(null);
  /** The key whose budgets are being edited, as text fields. */
  const [budgets, setBudgets] = useState<{ id: string; name: string; daily: string; monthly: string; total: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => trpc.keys.list.query().then(setKeys, (e) => setError(e.message)), []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <h1>API keys</h1>
      <p className="muted">
        Once a key exists, every /v1 request needs <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <form
        className="card row"
        aria-label="new key"
        onSubmit={(e) => {
          e.preventDefault();
          trpc.keys.create
            .mutate({
              name: form.name,
              allowedProviders: form.allowedProviders,
              allowedModels: form.allowedModels,
              rateLimitRpm: form.rpm ? Number(form.rpm) : null,
              rateLimitTpm: form.tpm ? Number(form.tpm) : null,
              budgetDailyUsd: amount(form.daily),
              budgetMonthlyUsd: amount(form.monthly),
              budgetTotalUsd: amount(form.total),
            })
            .then(
              (r) => (setSecret(r.secret), setForm(EMPTY), load()),
              (e) => setError(e.message),
            );
        }}
      >
        <label>
          Name
          <input name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
        </label>
        <label>
          Allowed providers (optional)
          <input value={form.allowedProviders} onChange={(e) => setForm({ ...form, allowedProviders: e.target.value })} />
        </label>
        <label>
          Allowed models (optional)
          <input value={form.allowedModels} onChange={(e) => setForm({ ...form, allowedModels: e.target.value })} />
        </label>
        <label>
          Requests/min
          <input type="number" min={1} value={form.rpm} onChange={(e) => setForm({ ...form, rpm: e.target.value })} />
        </label>
        <label>
          Tokens/min
          <input type="number" min={1} value={form.tpm} onChange={(e) => setForm({ ...form, tpm: e.target.value })} />
        </label>
        <label>
          Budget/day (USD)
          <input name="daily" type="number" min={0.000001} step="any" value={form.daily} onChange={(e) => setForm({ ...form, daily: e.target.value })} />
        </label>
        <label>
          Budget/month (USD)
          <input name="monthly" type="number" min={0.000001} step="any" value={form.monthly} onChange={(e) => setForm({ ...form, monthly: e.target.value })} />
        </label>
        <label>
          Budget in total (USD)
          <input name="total" type="number" min={0.000001} step="any" value={form.total} onChange={(e) => setForm({ ...form, total: e.target.value })} />
        </label>
        <button className="primary" type="submit">
          Create key
        </button>
      </form>
      {secret && (
        <div className="card" aria-label="new secret">
          <p>Copy this key now: it is shown only once.</p>
          <div className="secret" data-secret>
            {secret}
          </div>
          <button onClick={() => setSecret(null)}>Done</button>
        </div>
      )}
      {budgets && (
        <form
          className="card row"
          aria-label="key budgets"
          onSubmit={(e) => {
            e.preventDefault();
            trpc.keys.setBudgets
              .mutate({
                id: budgets.id,
                budgetDailyUsd: amount(budgets.daily),
                budgetMonthlyUsd: amount(budgets.monthly),
                budgetTotalUsd: amount(budgets.total),
              })
              .then(
                () => (setBudgets(null), load()),
                (e) => setError(e.message),
              );
          }}
        >
          <strong>Budgets of {budgets.name} (USD; empty: none)</strong>
          <label>
            Per day
            <input
              name="daily"
              type="number"
              min={0.000001}
              step="any"
              value={budgets.daily}
              onChange={(e) => setBudgets({ ...budgets, daily: e.target.value })}
            />
          </label>
          <label>
            Per month
            <input
              name="monthly"
              type="number"
              min={0.000001}
              step="any"
              value={budgets.monthly}
              onChange={(e) => setBudgets({ ...budgets, monthly: e.target.value })}
            />
          </label>
          <label>
            In total
            <input
              name="total"
              type="number"
              min={0.000001}
              step="any"
              value={budgets.total}
              onChange={(e) => setBudgets({ ...budgets, total: e.target.value })}
            />
          </label>
          <button className="primary" type="submit">
            Save budgets
          </button>
          <button type="button" onClick={() => setBudgets(null)}>
            Cancel
          </button>
        </form>
      )}
      {error && <p className="bad">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Scope</th>
            <th>Limits</th>
            <th>Spend and budgets</th>
            <th>Created</th>
            <th>Last used</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {(keys ?? []).map((k) => (
            <tr key={k.id} data-key={k.name}>
              <td>
                {k.name}
                <div className="muted">{k.id}</div>
              </td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td>
                {k.allowedProviders?.join(", ") ?? "any provider"}
                <div className="muted">{k.allowedModels?.join(", ") ?? "any model"}</div>
              </td>
              <td>
                {k.rateLimitRpm ? `${k.rateLimitRpm} req/min` : "–"}
                {k.rateLimitTpm ? ` · ${k.rateLimitTpm} tok/min` : ""}
              </td>
              <td data-spend>
                {usd(k.spentMonthUsd)} this month{k.budgetMonthlyUsd !== null ? ` of ${usd(k.budgetMonthlyUsd)}` : ""}
                <div className="muted">
                  {usd(k.spentTotalUsd)} in total{k.budgetTotalUsd !== null ? ` of ${usd(k.budgetTotalUsd)}` : ""}
                  {k.budgetDailyUsd !== null ? ` · ${usd(k.budgetDailyUsd)}/day` : ""}
                </div>
                {k.alerting.length > 0 && (
                  <div className="bad" data-alert>
                    over {k.alertPercent}% of its {k.alerting.join(" and ")} budget
                  </div>
                )}
              </td>
              <td>{new Date(k.createdAt).toLocaleString()}</td>
              <td>{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : "never"}</td>
              <td>
                {k.revokedAt ? (
                  <span className="bad">revoked</span>
                ) : (
                  <>
                    <button
                      onClick={() =>
                        setBudgets({
                          id: k.id,
                          name: k.name,
                          daily: k.budgetDailyUsd?.toString() ?? "",
                          monthly: k.budgetMonthlyUsd?.toString() ?? "",
                          total: k.budgetTotalUsd?.toString() ?? "",
                        })
                      }
                    >
                      Budgets
                    </button>
                    <button onClick={() => void trpc.keys.revoke.mutate({ id: k.id }).then(load, (e) => setError(e.message))}>Revoke</button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
