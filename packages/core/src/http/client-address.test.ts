import { describe, expect, it } from "vitest";
import { clientAddress, parseTrustedProxies } from "./client-address.js";

describe("clientAddress", () => {
  it("is the socket's address unless that peer is a trusted proxy", () => {
    expect(clientAddress("203.0.113.9", "1.2.3.4", null)).toBe("203.0.113.9");
    expect(clientAddress("203.0.113.9", "1.2.3.4", parseTrustedProxies("10.0.0.0/8"))).toBe("203.0.113.9");
    expect(clientAddress("::ffff:127.0.0.1", undefined, null)).toBe("127.0.0.1");
  });

  it("walks X-Forwarded-For from the right, past trusted proxies only", () => {
    const proxies = parseTrustedProxies("10.0.0.0/8, 127.0.0.1");
    expect(clientAddress("10.0.0.2", "198.51.100.7", proxies)).toBe("198.51.100.7");
    // A client that writes its own header cannot pick its address: the first untrusted hop from the right wins.
    expect(clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.5", proxies)).toBe("198.51.100.7");
    expect(clientAddress("127.0.0.1", "garbage, 198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(clientAddress("127.0.0.1", "198.51.100.7, garbage", proxies)).toBe("127.0.0.1");
  });

  it("refuses an entry that is not an address or range", () => {
    expect(() => parseTrustedProxies("10.0.0.0/8, proxy.local")).toThrow(/proxy\.local/);
    expect(parseTrustedProxies("")).toBeNull();
  });
});
