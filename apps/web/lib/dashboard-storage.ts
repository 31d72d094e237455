/**
 * Next.js and React keep each dashboard request's state in AsyncLocalStorage. On Node 20 a storage, once used, turns
 * on async_hooks' promise hooks for the whole process until it is disabled, so after an admin's first page every
 * `/v1` request paid for a hook on each of its promises (+20-80 µs of CPU per request measured;
 * docs/cpu-per-request-2026-12-08.md). This remembers the dashboard's storages and disables them once no dashboard
 * request has been in flight for a moment; the next dashboard request's `run()` enables them again (Node's own
 * AsyncLocalStorage does that on every `run`). Next creates its storages from `globalThis.AsyncLocalStorage`, so a
 * subclass installed there remembers them. React's renderers create theirs from `node:async_hooks` directly: those are
 * remembered when first run inside a Next request (one of Next's storages has a store) from Next's own code, where
 * React's renderers are compiled in. Any other storage (a tracing library's context, even one first used during a
 * dashboard request) is never touched: disabling it would drop the context of work in flight elsewhere.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface DashboardStorage {
  /** A request for Next has come in. */
  begin(): void;
  /** That request's response has closed. */
  end(): void;
  /** Dashboard requests in flight. */
  readonly inFlight: number;
  /** Whether the quiet time has passed and the storages are disabled (or none was ever used). */
  readonly quiet: boolean;
}

/** Where Next looks for the class: `globalThis`, or a stand-in in tests. */
type Global = { AsyncLocalStorage?: typeof AsyncLocalStorage };

const NEXT_CODE = /[\\/]next[\\/]dist[\\/]/;

/**
 * Installs the remembering subclass as `globalThis.AsyncLocalStorage`. Call it before Next is imported: Next reads
 * that global once, as its modules load. `quietMs` is how long after the last dashboard response the storages are
 * disabled: work a page leaves behind (React finishing a stream, Next's `after()` tasks) still reads its store then.
 */
export function installDashboardStorage(quietMs = 1_000, global: Global = globalThis as Global): DashboardStorage {
  if (global.AsyncLocalStorage) throw new Error("AsyncLocalStorage is already installed globally: install the dashboard's before Next loads");
  let inFlight = 0;
  let quiet = true;
  let timer: NodeJS.Timeout | null = null;
  const nextStorages: AsyncLocalStorage<unknown>[] = [];
  const storages = new Set<AsyncLocalStorage<unknown>>();
  /** Storages already looked at, so that a stack is read once per storage at most. */
  const judged = new WeakSet<AsyncLocalStorage<unknown>>();
  class RememberedAsyncLocalStorage<T> extends AsyncLocalStorage<T> {
    constructor() {
      super();
      nextStorages.push(this as AsyncLocalStorage<unknown>);
      storages.add(this as AsyncLocalStorage<unknown>);
      judged.add(this as AsyncLocalStorage<unknown>);
    }
  }
  global.AsyncLocalStorage = RememberedAsyncLocalStorage;
  const insideNextRequest = () => nextStorages.some((storage) => storage.getStore() !== undefined);
  const proto = AsyncLocalStorage.prototype as AsyncLocalStorage<unknown>;
  for (const method of ["run", "enterWith"] as const) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, method, {
      ...Object.getOwnPropertyDescriptor(proto, method),
      value: function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
        if (inFlight > 0 && !judged.has(this) && insideNextRequest()) {
          judged.add(this);
          // The frame that called run(): React's renderers are compiled into Next's runtime (next/dist/compiled).
          if (NEXT_CODE.test(new Error().stack?.split("\n")[2] ?? "")) storages.add(this);
        }
        return original.apply(this, args);
      },
    });
  }

  const disableAll = () => {
    timer = null;
    if (inFlight > 0) return;
    for (const storage of storages) storage.disable();
    quiet = true;
  };
  return {
    begin() {
      inFlight++;
      quiet = false;
      if (timer) clearTimeout(timer);
      timer = null;
    },
    end() {
      inFlight--;
      if (inFlight > 0) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(disableAll, quietMs);
      timer.unref();
    },
    get inFlight() {
      return inFlight;
    },
    get quiet() {
      return quiet;
    },
  };
}
