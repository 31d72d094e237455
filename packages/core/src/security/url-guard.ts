/**
 * SSRF guard for provider URLs entered in the dashboard: a provider URL is a server-side request the admin UI can
 * aim anywhere, so only http(s) URLs whose host resolves to public addresses are taken, unless the host is on the
 * allow-list (PROVIDER_URL_ALLOWLIST: `host`, `host:port` or `*.domain`, comma-separated). Loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included) and other special ranges need an explicit entry.
 * URLs from the config file are trusted: whoever writes the file runs the server.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const special = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  special.addSubnet(net, bits, "ipv4");
// Besides loopback, unique-local, link-local and multicast: the IPv6 forms that embed an IPv4 address, which may be
// an internal one: IPv4-compatible (::/96, deprecated; it holds :: and ::1), 6to4 (2002::/16) and NAT64 (the
// well-known 64:ff9b::/96 and the local-use 64:ff9b:1::/48). IPv4-mapped addresses (::ffff:0:0/96) are checked
// against the IPv4 ranges by BlockList itself.
for (const [net, bits] of [
  ["::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2002::", 16],
] as const)
  special.addSubnet(net, bits, "ipv6");

/** True for addresses a public provider never has (loopback, private, link-local, multicast, reserved). */
export function isSpecialAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) return special.check(address, "ipv4");
  if (v === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return special.check(mapped[1]!, "ipv4");
    return special.check(address, "ipv6");
  }
  return true;
}

export function parseAllowList(value: string | undefined): string[] {
  return (value ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/** Whether the URL's host (and port) is on the allow-list. */
export function isAllowListed(url: URL, allowList: string[]): boolean {
  return allowed(url.hostname.toLowerCase(), url.port || (url.protocol === "https:" ? "443" : "80"), allowList);
}

function allowed(host: string, port: string, allowList: string[]): boolean {
  return allowList.some((entry) => {
    const [h, p] = entry.startsWith("[") ? [entry.slice(0, entry.indexOf("]") + 1), entry.slice(entry.indexOf("]") + 2)] : entry.split(":");
    if (p && p !== port) return false;
    return h!.startsWith("*.") ? host.endsWith(h!.slice(1)) : host === h;
  });
}

export type Resolver = (host: string) => Promise<string[]>;
const resolveAll: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Throws an Error that says why when the URL may not be used as a provider URL from the dashboard. */
export async function checkProviderUrl(raw: string, allowList: string[], resolve: Resolver = resolveAll): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`provider URLs must be http or https, not ${url.protocol}`);
  if (url.username || url.password) throw new Error("provider URLs must not carry credentials: use the API key field");
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (allowed(host, port, allowList)) return;
  const bare = host.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(bare) ? [bare] : await resolve(bare);
  } catch {
    throw new Error(`cannot resolve ${host}`);
  }
  const bad = addresses.find(isSpecialAddress);
  if (bad) {
    throw new Error(
      `${host} resolves to ${bad}, a loopback, private or otherwise internal address. ` +
        `To allow it, add "${url.port ? `${host}:${url.port}` : host}" to PROVIDER_URL_ALLOWLIST.`,
    );
  }
}
