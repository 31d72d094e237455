/**
 * DNS for URLs the gateway did not get from its own config file (image links a provider returns, providers saved
 * from the dashboard). The name is resolved once, inside the connection's own lookup: every address is checked
 * and the socket connects to exactly the address checked, so a name that resolves to a public address for a check
 * and to 127.0.0.1 for the connection (DNS rebinding) cannot get through.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { isSpecialAddress } from "./url-guard.js";

export type AddressResolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: AddressResolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** The error a refused address surfaces as (mapped to an UpstreamError by the upstream client). */
export class GuardedAddressError extends Error {
  readonly code = "ERR_GUARDED_ADDRESS";
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, an internal address`);
  }
}

/** A `lookup` for net/tls connections that refuses loopback, private, link-local and other internal addresses. */
export function guardedLookup(resolve: AddressResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const bad = addresses.find((a) => isSpecialAddress(a.address));
        if (bad || !addresses.length) {
          callback(bad ? new GuardedAddressError(hostname, bad.address) : Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 4);
          return;
        }
        const family = typeof options === "object" ? options.family : undefined;
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (typeof options === "object" && options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        else callback(null, usable[0]?.address ?? "", usable[0]?.family ?? 4);
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 4),
    );
  };
}
