"use client";
import { useEffect, useState } from "react";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { trpc } from "@/lib/trpc/client";
import ErrorAlert from "../error-alert";
import { duration, money } from "../charts";
import { answerText } from "@/lib/answer-text";

type Provider = Awaited<ReturnType<typeof trpc.providers.list.query>>[number];
type Answer = Awaited<ReturnType<typeof trpc.playground.send.mutate>>;
type Logged = Awaited<ReturnType<typeof trpc.logs.get.query>>;
type Target = { provider: string; model: string };

/** A provider and one of its models (any id the provider takes may be typed). */
function TargetFields({ providers, value, onChange, name }: { providers: Provider[]; value: Target; onChange: (t: Target) => void; name: string }) {
  const models = providers.find((p) => p.id === value.provider)?.models.filter((m) => m !== "*") ?? [];
  return (
    <>
      <label>
        Provider
        <select
          name={`${name}-provider`}
          value={value.provider}
          onChange={(e) => onChange({ provider: e.target.value, model: providers.find((p) => p.id === e.target.value)?.models[0] ?? "" })}
        >
          {providers.map((p) => (
            <option key={p.id} value={p.id}>
              {p.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Model
        <input name={`${name}-model`} list={`${name}-models`} value={value.model} required onChange={(e) => onChange({ ...value, model: e.target.value })} />
        <datalist id={`${name}-models`}>
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
    </>
  );
}

/** One answer's card: its text and what it cost, as its log row has them. */
function AnswerCard({
  title,
  answer,
}: {
  title: string;
  answer: Pick<Answer, "text" | "latencyMs" | "cost" | "promptTokens" | "completionTokens" | "error" | "requestId" | "servedModel">;
}) {
  return (
    <section className="card answer" aria-label={title} data-answer={title}>
      <h2>{title}</h2>
      {answer.error ? <p className="bad">{answer.error}</p> : <p className="answer-text">{answer.text ?? "(no text)"}</p>}
      <p className="muted" data-figures>
        {duration(answer.latencyMs)} · {answer.cost === null ? "cost unknown" : money(answer.cost)} · {answer.promptTokens ?? "–"} in,{" "}
        {answer.completionTokens ?? "–"} out
        {answer.servedModel && <> · served by {answer.servedModel}</>}
      </p>
      {answer.requestId && <a href={`/logs?request=${encodeURIComponent(answer.requestId)}`}>In the log</a>}
    </section>
  );
}

/**
 * Send a chat to any provider and model and watch it stream; compare providers side by side; replay a logged
 * request (its stored body) against others. Every request goes through the gateway: logged, priced, tagged
 * "playground", with you as its end user.
 */
export default function PlaygroundView() {
  const [providers, setProviders] = useState<Provider[]>([]);
  const [target, setTarget] = useState<Target>({ provider: "", model: "" });
  const [other, setOther] = useState<Target>({ provider: "", model: "" });
  const [system, setSystem] = useState("");
  const [prompt, setPrompt] = useState("");
  const [streamed, setStreamed] = useState<{ text: string; done: boolean; requestId: string | null } | null>(null);
  const [answers, setAnswers] = useState<Array<{ title: string; answer: Answer }>>([]);
  const [replay, setReplay] = useState<{ id: string; row: Logged; original: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    trpc.providers.list.query().then(
      (list) => {
        const usable = list.filter((p) => p.enabled && p.models.length);
        setProviders(usable);
        const first = { provider: usable[0]?.id ?? "", model: usable[0]?.models.find((m) => m !== "*") ?? "" };
        setTarget(first);
        setOther({ provider: usable[1]?.id ?? first.provider, model: usable[1]?.models.find((m) => m !== "*") ?? first.model });
      },
      (e: Error) => setError(e.message),
    );
    const id = new URLSearchParams(window.location.search).get("replay");
    if (id) {
      Promise.all([trpc.logs.get.query({ id }), trpc.logs.bodies.query({ id })]).then(
        ([row, bodies]) => setReplay({ id, row, original: bodies.assembled?.choices[0]?.text ?? storedText(bodies.bodies?.response ?? null) }),
        (e: Error) => setError(e.message),
      );
    }
  }, []);

  const messages = () => [...(system.trim() ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: prompt }];

  const stream = async () => {
    setError(null);
    setStreamed({ text: "", done: false, requestId: null });
    const res = await fetch("/api/admin/playground/stream", {
      method: "POST",
      headers: { "content-type": "application/json", "x-interference-csrf": "1" },
      body: JSON.stringify({ ...target, messages: messages() }),
    });
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      setStreamed(null);
      setError(body?.error?.message ?? `HTTP ${res.status}`);
      return;
    }
    const requestId = res.headers.get("x-request-id");
    const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    let text = "";
    for await (const event of events as unknown as AsyncIterable<{ data: string }>) {
      if (event.data === "[DONE]") break;
      const chunk = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: string } }>; error?: { message?: string } };
      if (chunk.error) setError(chunk.error.message ?? "The stream ended with an error.");
      text += chunk.choices?.[0]?.delta?.content ?? "";
      setStreamed({ text, done: false, requestId });
    }
    setStreamed({ text, done: true, requestId });
  };

  const compare = () => {
    setError(null);
    setBusy(true);
    const run = (t: Target) =>
      trpc.playground.send
        .mutate(replay ? { ...t, replayOf: replay.id } : { ...t, messages: messages() })
        .then((answer) => ({ title: `${t.provider} · ${t.model}`, answer }));
    Promise.all(replay ? [run(target)] : [run(target), run(other)]).then(
      (results) => (setAnswers((old) => (replay ? [...old, ...results] : results)), setBusy(false)),
      (e: Error) => (setError(e.message), setBusy(false)),
    );
  };

  return (
    <>
      <h1>Playground</h1>
      <p className="muted">
        Requests sent from here go through the gateway like any client&apos;s: logged, priced and counted, tagged <code>playground</code>, with you as their end
        user.
      </p>
      {replay && (
        <section className="card" aria-label="replayed request">
          <h2>Replaying request {replay.id}</h2>
          <p className="muted">
            {replay.row.route} · first served by {replay.row.provider ?? "none"} ({replay.row.servedModel ?? replay.row.model ?? "–"})
          </p>
        </section>
      )}
      <form
        className="card row"
        aria-label="playground"
        onSubmit={(e) => {
          e.preventDefault();
          if (replay) compare();
          else void stream();
        }}
      >
        <TargetFields providers={providers} value={target} onChange={setTarget} name="target" />
        {!replay && (
          <>
            <label style={{ flexBasis: "100%" }}>
              System (optional)
              <textarea name="system" rows={2} value={system} onChange={(e) => setSystem(e.target.value)} />
            </label>
            <label style={{ flexBasis: "100%" }}>
              Message
              <textarea name="prompt" rows={4} required value={prompt} onChange={(e) => setPrompt(e.target.value)} />
            </label>
          </>
        )}
        <div className="row" style={{ flexBasis: "100%" }}>
          <button className="primary" type="submit" disabled={busy || !target.provider}>
            {replay ? "Replay on this provider" : "Send (streamed)"}
          </button>
        </div>
      </form>
      {!replay && (
        <form
          className="card row"
          aria-label="compare"
          onSubmit={(e) => {
            e.preventDefault();
            compare();
          }}
        >
          <span>Compare the message above, answered whole, with</span>
          <TargetFields providers={providers} value={other} onChange={setOther} name="other" />
          <button type="submit" disabled={busy || !prompt.trim()}>
            Compare side by side
          </button>
        </form>
      )}
      <ErrorAlert error={error} />
      {streamed && (
        <section className="card" aria-label="streamed answer" aria-busy={!streamed.done} data-streamed={streamed.done ? "done" : "streaming"}>
          <h2>
            {target.provider} · {target.model}
          </h2>
          <p className="answer-text" aria-live="polite">
            {streamed.text}
          </p>
          {streamed.done && streamed.requestId && <a href={`/logs?request=${encodeURIComponent(streamed.requestId)}`}>In the log</a>}
        </section>
      )}
      {(replay || answers.length > 0) && (
        <div className="answers">
          {replay && (
            <AnswerCard
              title="As logged"
              answer={{
                text: replay.original,
                latencyMs: replay.row.latencyMs,
                cost: replay.row.cost,
                promptTokens: replay.row.promptTokens,
                completionTokens: replay.row.completionTokens,
                error: replay.row.error,
                requestId: replay.id,
                servedModel: replay.row.servedModel,
              }}
            />
          )}
          {answers.map((a, i) => (
            <AnswerCard key={i} title={a.title} answer={a.answer} />
          ))}
        </div>
      )}
    </>
  );
}

/** The text of a stored (not streamed) answer of any of the three APIs, or its body as it is. */
function storedText(body: string | null): string | null {
  if (!body) return null;
  try {
    return answerText(JSON.parse(body)) ?? body;
  } catch {
    return body;
  }
}
