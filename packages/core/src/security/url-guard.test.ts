import { describe, expect, it } from "vitest";
import { checkProviderUrl, isSpecialAddress, parseAllowList } from "./url-guard.js";

const dns = (map: Record<string, string[]>) => async (h: string) => {
  if (!map[h]) throw new Error("ENOTFOUND");
  return map[h]!;
};

describe("provider URL guard", () => {
  it("classifies internal addresses", () => {
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "100.64.0.1",
    ]) {
      expect(isSpecialAddress(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "104.18.1.1", "2606:4700::1111"]) expect(isSpecialAddress(a), a).toBe(false);
  });

  it("refuses the IPv6 forms that embed an IPv4 address: IPv4-compatible, 6to4, NAT64, mapped in hex", () => {
    for (const a of [
      "::7f00:1", // ::127.0.0.1, IPv4-compatible
      "::127.0.0.1",
      "::a00:1", // ::10.0.0.1
      "::808:808", // even a public IPv4 address: no provider is reached this way
      "2002:7f00:1::1", // 6to4 of 127.0.0.1
      "2002:a9fe:a9fe::1", // 6to4 of 169.254.169.254
      "2002:808:808::1", // 6to4 of 8.8.8.8: the whole prefix is refused
      "64:ff9b::a9fe:a9fe", // NAT64, well-known prefix
      "64:ff9b:1::a00:1", // NAT64, local-use prefix
      "::ffff:7f00:1", // IPv4-mapped, as URL parsing writes it
      "::ffff:a9fe:a9fe",
    ]) {
      expect(isSpecialAddress(a), a).toBe(true);
    }
    expect(isSpecialAddress("::ffff:808:808")).toBe(false); // mapped public IPv4: its IPv4 rules decide
    expect(isSpecialAddress("2001:4860:4860::8888")).toBe(false);
  });

  it("refuses those forms in a provider URL, as URL parsing normalises them", async () => {
    for (const host of ["[::127.0.0.1]", "[2002:7f00:1::1]", "[64:ff9b:1::a00:1]", "[::ffff:169.254.169.254]"]) {
      await expect(checkProviderUrl(`http://${host}/v1`, [], dns({})), host).rejects.toThrow(/internal|special|PROVIDER_URL_ALLOWLIST/);
    }
  });

  it("takes public hosts and refuses internal ones, DNS names included", async () => {
    const resolve = dns({ "api.openai.com": ["104.18.6.192"], "evil.example": ["127.0.0.1"], "mixed.example": ["8.8.8.8", "10.0.0.1"] });
    await expect(checkProviderUrl("https://api.openai.com/v1", [], resolve)).resolves.toBeUndefined();
    await expect(checkProviderUrl("http://evil.example/v1", [], resolve)).rejects.toThrow(/PROVIDER_URL_ALLOWLIST/);
    await expect(checkProviderUrl("http://mixed.example/v1", [], resolve)).rejects.toThrow(/10\.0\.0\.1/);
    await expect(checkProviderUrl("http://169.254.169.254/latest", [], resolve)).rejects.toThrow(/internal/);
    await expect(checkProviderUrl("http://[::1]:8080/v1", [], resolve)).rejects.toThrow();
    await expect(checkProviderUrl("file:///etc/passwd", [], resolve)).rejects.toThrow(/http or https/);
    await expect(checkProviderUrl("http://user:pw@api.openai.com", [], resolve)).rejects.toThrow(/credentials/);
    await expect(checkProviderUrl("http://nowhere.invalid", [], resolve)).rejects.toThrow(/resolve/);
  });

  it("lets the allow-list open loopback and private hosts, by host, host:port or *.domain", async () => {
    const resolve = dns({ localhost: ["127.0.0.1"], "gpu.corp.internal": ["10.0.0.7"] });
    const allow = parseAllowList("localhost:11434, *.corp.internal");
    await expect(checkProviderUrl("http://localhost:11434/v1", allow, resolve)).resolves.toBeUndefined();
    await expect(checkProviderUrl("http://localhost:8080/v1", allow, resolve)).rejects.toThrow();
    await expect(checkProviderUrl("http://gpu.corp.internal/v1", allow, resolve)).resolves.toBeUndefined();
  });
});
