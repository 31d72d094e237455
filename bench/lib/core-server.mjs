// The gateway's /v1 handler alone on node:http: no Next.js, no database (log entries are only counted).
// Tells the core's own cost apart from the app around it.
//   node core-server.mjs <port> <upstreamBaseUrl>
import { createServer } from "node:http";
import { createGateway, parseConfig } from "../../packages/core/dist/index.js";

const [port, upstream] = process.argv.slice(2);
let logged = 0;
const gateway = createGateway({
  config: parseConfig(
    `providers:\n  - { id: up, type: openai, base_url: "${upstream}", api_key: sk-bench, models: [gpt-4o-mini], responses_api: true }\n  - { id: anth, type: anthropic, base_url: "${upstream}", api_key: sk-ant-bench, models: [claude-bench] }\n`,
  ),
  logSink: { write: () => void logged++ },
});
const server = createServer(gateway.nodeListener());
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => console.log(`core server on ${port}`));
process.on("SIGTERM", () => {
  console.log(`${logged} requests logged`);
  process.exit(0);
});
