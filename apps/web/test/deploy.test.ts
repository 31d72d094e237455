/**
 * The deployment files, checked with the tools that install here (scripts/check-deploy.py, its tools in
 * .deploy-tools from scripts/setup.sh --test): the Kustomize overlays rendered and validated strictly against the
 * Kubernetes API schemas, the Helm chart rendered per scenario and validated the same way, the Dockerfile
 * (hadolint), and every PromQL expression of the
 * alert rules and the Grafana dashboard, against the metrics a real gateway exports. Required when CI=true.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { createGateway, parseConfig } from "@interference/core";
import { WEB_DIR } from "./support/server";

const ROOT = join(WEB_DIR, "../..");
const PYTHON = join(ROOT, ".deploy-tools/bin/python");
const present = existsSync(PYTHON);
if (!present && process.env.CI === "true") throw new Error("CI needs .deploy-tools: scripts/setup.sh --test installs it");

it.skipIf(!present)(
  "validates the Kubernetes manifests, Helm values, Dockerfile, alert rules and dashboard",
  async () => {
    // The metric names a gateway exports, from its own /metrics (every gauge, counter and histogram, process ones too).
    const gateway = createGateway({ config: parseConfig("providers: []\n"), metricsPublic: true, logBacklog: () => 0 });
    const res = await gateway.handle({
      method: "GET",
      path: "/metrics",
      query: new URLSearchParams(),
      headers: {},
      readBody: async () => Buffer.alloc(0),
      signal: new AbortController().signal,
    });
    await gateway.close();
    const names = [
      ...new Set(
        (res.body as string)
          .split("\n")
          .filter((l) => l.startsWith("# TYPE "))
          .map((l) => l.split(" ")[2]),
      ),
    ];
    expect(names).toContain("interference_requests_in_flight");
    const file = join(mkdtempSync(join(tmpdir(), "ifr-metrics-")), "names.txt");
    writeFileSync(file, names.join("\n"));
    const run = await promisify(execFile)(PYTHON, [join(ROOT, "scripts/check-deploy.py"), "--metrics", file]).catch(
      (err: { stdout: string; code: number }) => err,
    );
    console.log(run.stdout.trim());
    expect(run.stdout).not.toContain("PROBLEM");
    expect(run.stdout).toMatch(/kubernetes\/ha: 6 objects .* valid against/);
    expect(run.stdout).toMatch(/kubernetes\/single: 5 objects .* valid against/);
    for (const scenario of ["values.yaml", "values-single.yaml", "values-ha.yaml", "values-bundled.yaml"]) {
      expect(run.stdout).toMatch(new RegExp(`helm/${scenario}: \\d+ objects .* valid against`));
    }
    expect(run.stdout).toContain("Dockerfile: hadolint clean");
    expect(run.stdout).toMatch(/\d+ expressions parse and name exported metrics/);
  },
  120_000,
);
