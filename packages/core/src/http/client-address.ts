/**
 * The address of the client behind a request. X-Forwarded-For is anyone's to write, so it is believed only as
 * far as the hops that added it are trusted proxies (TRUSTED_PROXIES: addresses or CIDR ranges, comma-separated):
 * walking it from the right, the first address that is not a trusted proxy is the client.
 */
import { BlockList, isIP } from "node:net";

export type TrustedProxies = BlockList | null;

/** Parses TRUSTED_PROXIES ("10.0.0.0/8, 127.0.0.1, ::1"); throws on an entry that is not an address or range. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const entries = (value ?? "").split(/[\s,]+/).filter(Boolean);
  if (!entries.length) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split("/");
    const family = isIP(address ?? "");
    if (!family || (bits !== undefined && !/^\d+$/.test(bits))) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return list;
}

const normalize = (a: string) => {
  const s = a.trim().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  return mapped ? mapped[1]! : s;
};

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
}

export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, proxies: TrustedProxies): string {
  const peer = normalize(socketAddress ?? "");
  if (!proxies || !forwardedFor || !trusted(proxies, peer)) return peer || "unknown";
  const hops = forwardedFor.split(",").map(normalize).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(hops[i]!)) return peer; // a malformed hop: trust nothing before it
    if (!trusted(proxies, hops[i]!)) return hops[i]!;
  }
  return hops[0] ?? peer;
}
