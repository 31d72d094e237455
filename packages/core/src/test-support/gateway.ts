/** Starts a real Gateway on node:http at 127.0.0.1 for tests. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway, type GatewayOptions, type Gateway } from "../gateway.js";
import { parseConfig } from "../config/load.js";

export interface TestGateway {
  url: string;
  gateway: Gateway;
  close(): Promise<void>;
}

export async function startTestGateway(yaml: string, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const gateway = createGateway({ config: parseConfig(yaml, process.env), ...options });
  const server = createServer(gateway.nodeListener());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await gateway.close();
    },
  };
}
