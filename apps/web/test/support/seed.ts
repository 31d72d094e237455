/** The Python blocks of the user's seed-examples.md, to run verbatim. */
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export function seedPythonBlocks(): string[] {
  const md = readFileSync(fileURLToPath(new URL("../seed-examples.md", import.meta.url)), "utf8");
  return [...md.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/**
 * Runs blocks one after another in a single Python process, as a reader pastes them into one session (later
 * blocks use the `requests` import of the first). A marker line separates each block's output.
 */
export async function runPythonBlocks(blocks: string[]): Promise<{ outputs: string[]; stderr: string; status: number | null }> {
  const script = blocks.map((b, i) => `print("=====BLOCK ${i}=====", flush=True)\n${b}`).join("\n");
  // Async on purpose: the fake upstreams live in this process and must keep answering while Python runs.
  const child = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { outputs: stdout.split(/=====BLOCK \d+=====\n/).slice(1), stderr, status };
}
