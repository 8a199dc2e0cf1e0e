import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { fingerprintPem, normaliseFingerprint } from "../../src/client/fingerprint.js";
import { makeTestPki, type TestPki } from "./certs.js";

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

describe("fingerprintPem", () => {
  it("equals openssl x509 -noout -fingerprint -sha256 after the '='", () => {
    const out = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", pki.caPath], {
      encoding: "utf8",
    });
    const expected = out.trim().slice(out.indexOf("=") + 1);
    const fp = fingerprintPem(pki.caPem);
    expect(fp).toBe(expected);
    expect(fp).toHaveLength(95);
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("differs between CAs", () => {
    expect(fingerprintPem(pki.caPem)).not.toBe(fingerprintPem(pki.otherCaPem));
  });
});

describe("normaliseFingerprint", () => {
  it("accepts lower case, no separators and openssl's prefix", () => {
    const fp = fingerprintPem(pki.caPem);
    expect(normaliseFingerprint(fp.toLowerCase())).toBe(fp);
    expect(normaliseFingerprint(fp.replaceAll(":", ""))).toBe(fp);
    expect(normaliseFingerprint(`sha256 Fingerprint=${fp}`)).toBe(fp);
  });
});
