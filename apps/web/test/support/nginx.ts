/**
 * Debian's nginx running the project's deploy/nginx.conf unprivileged, for tests: the same proxy settings, with
 * this test's upstream addresses and port, and a prefix folder of its own for pid, logs and temp files.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WEB_DIR } from "./server";

export const nginxBinary = ["/usr/sbin/nginx", spawnSync("sh", ["-c", "command -v nginx"]).stdout.toString().trim()].find(
  (p) => p && spawnSync(p, ["-v"]).status === 0,
);

export interface Nginx {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** deploy/nginx.conf with `upstreams` (host:port) as its servers and `port` as its listening port. */
export function renderNginxConf(upstreams: string[], port: number, prefix: string): string {
  const conf = readFileSync(join(WEB_DIR, "../../deploy/nginx.conf"), "utf8");
  // The upstream block's server lines: each keeps the file's parameters (max_fails, fail_timeout), with this
  // test's addresses in place of the file's.
  const block = /upstream gateway \{[^}]*\}/.exec(conf)?.[0];
  const lines = block?.split("\n") ?? [];
  const first = lines.find((l) => /^\s*server /.test(l));
  if (!block || !first) throw new Error("deploy/nginx.conf: no upstream servers found");
  const line = (address: string) => first.replace(/server \S+?(:\d+)?( |;)/, `server ${address}$2`);
  const at = lines.indexOf(first);
  const rewritten = [
    ...lines.slice(0, at).filter((l) => !/^\s*server /.test(l)),
    ...upstreams.map(line),
    ...lines.slice(at).filter((l) => !/^\s*server /.test(l)),
  ].join("\n");
  const rendered = conf
    .replace(block, () => rewritten)
    .replace(/listen 1337;/, `listen 127.0.0.1:${port};`)
    .replace(/X-Forwarded-Host \$host:1337;/, `X-Forwarded-Host $host:${port};`)
    .replace(
      /^http \{/m,
      `http {\n  access_log off;\n  client_body_temp_path ${prefix}/tmp/body;\n  proxy_temp_path ${prefix}/tmp/proxy;\n  fastcgi_temp_path ${prefix}/tmp/fastcgi;\n  uwsgi_temp_path ${prefix}/tmp/uwsgi;\n  scgi_temp_path ${prefix}/tmp/scgi;`,
    );
  return `daemon off;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log warn;\nworker_processes 1;\n${rendered}`;
}

export async function startNginx(upstreams: string[], port: number): Promise<Nginx> {
  if (!nginxBinary) throw new Error("nginx not found: scripts/setup.sh --test installs it");
  const prefix = mkdtempSync(join(tmpdir(), "ifr-nginx-"));
  mkdirSync(join(prefix, "tmp"), { recursive: true });
  writeFileSync(join(prefix, "nginx.conf"), renderNginxConf(upstreams, port, prefix));
  const child = spawn(nginxBinary, ["-p", prefix, "-c", join(prefix, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}${readFileSync(join(prefix, "error.log"), "utf8")}`);
    const up = await new Promise<boolean>((r) => {
      const s = createConnection(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), r(true)));
      s.once("error", () => r(false));
    });
    if (up)
      return {
        url: `http://127.0.0.1:${port}`,
        process: child,
        stop: () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once("exit", () => r()), child.kill("SIGQUIT")))),
      };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}: ${err}`);
}
