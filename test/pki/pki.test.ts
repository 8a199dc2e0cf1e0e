import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat, unlink, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensurePki, fingerprint, pkiFiles } from "../../src/pki/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ferry-pki-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { input, encoding: "utf8" });
}

describe("ensurePki", () => {
  it("creates a CA and a server certificate on first start, quickly", async () => {
    const t0 = performance.now();
    const pki = await ensurePki(dir, { controllerName: "alpha", hostnames: ["ferry.example.com", "10.1.2.3"] });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    expect(pki.caCreated).toBe(true);
    expect(pki.serverIssued).toBe(true);

    const ca = new X509Certificate(pki.caCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain("CN=Ferry CA alpha");
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const years = (new Date(ca.validTo).getTime() - Date.now()) / (365 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);

    const caText = openssl(["x509", "-noout", "-text"], pki.caCertPem);
    expect(caText).toMatch(/CA:TRUE/);
    expect(caText).toMatch(/Certificate Sign, CRL Sign/);

    const server = new X509Certificate(pki.serverCertPem);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkPrivateKey(createPrivateKey(pki.serverKeyPem))).toBe(true);
    const san = server.subjectAltName ?? "";
    for (const n of ["DNS:localhost", "DNS:ferry.example.com", "IP Address:127.0.0.1", "IP Address:10.1.2.3"]) {
      expect(san).toContain(n);
    }
    expect(san).toMatch(/IP Address:(::1|0:0:0:0:0:0:0:1)\b/);
    const serverText = openssl(["x509", "-noout", "-text"], pki.serverCertPem);
    expect(serverText).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(serverText).toMatch(/CA:FALSE/);
    expect(pki.serverKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/); // PKCS#8

    // The chain verifies with the real openssl for the hostnames clients use.
    await writeFile(join(dir, "chk-ca.pem"), pki.caCertPem);
    const verified = openssl([
      "verify",
      "-CAfile",
      join(dir, "chk-ca.pem"),
      "-verify_hostname",
      "ferry.example.com",
      join(dir, pkiFiles.serverCert),
    ]);
    expect(verified.trim()).toMatch(/: OK$/);
  });

  it("writes private keys with mode 0600 and leaves no temp files", async () => {
    await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    expect((await stat(join(dir, pkiFiles.caKey))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, pkiFiles.serverKey))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(["ca.key", "ca.pem", "server.key", "server.pem"]);
  });

  it("reuses everything on a later start with the same configuration", async () => {
    const first = await ensurePki(dir, { controllerName: "alpha", hostnames: ["a.example"] });
    const second = await ensurePki(dir, { controllerName: "alpha", hostnames: ["A.example", "a.example"] });
    expect(second.caCreated).toBe(false);
    expect(second.serverIssued).toBe(false);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).toBe(first.serverCertPem);
    expect(second.serverKeyPem).toBe(first.serverKeyPem);
    expect(second.fingerprint).toBe(first.fingerprint);
  });

  it("reissues only the server certificate when the host names change", async () => {
    const first = await ensurePki(dir, { controllerName: "alpha", hostnames: ["a.example"] });
    const second = await ensurePki(dir, { controllerName: "alpha", hostnames: ["a.example", "2001:db8::1"] });
    expect(second.caCreated).toBe(false);
    expect(second.serverIssued).toBe(true);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).not.toBe(first.serverCertPem);
    const server = new X509Certificate(second.serverCertPem);
    expect(server.subjectAltName).toMatch(/IP Address:2001:(DB8|db8):/i);
    expect(server.checkIssued(new X509Certificate(first.caCertPem))).toBe(true);
    expect(await readFile(join(dir, pkiFiles.serverCert), "utf8")).toBe(second.serverCertPem);
  });

  it("reissues the server certificate when it is close to expiry", async () => {
    await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    const later = new Date(Date.now() + 700 * 24 * 3600 * 1000);
    const renewed = await ensurePki(dir, { controllerName: "alpha", hostnames: [], now: later });
    expect(renewed.serverIssued).toBe(true);
    expect(renewed.caCreated).toBe(false);
  });

  it("reissues a server certificate whose key file was lost", async () => {
    await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    await unlink(join(dir, pkiFiles.serverKey));
    const again = await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    expect(again.serverIssued).toBe(true);
    expect(again.caCreated).toBe(false);
  });

  it("refuses to replace a CA whose key is missing", async () => {
    await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    await unlink(join(dir, pkiFiles.caKey));
    await expect(ensurePki(dir, { controllerName: "alpha", hostnames: [] })).rejects.toThrow(/ca\.key is missing/);
  });

  it("refuses a CA key that does not match the CA certificate", async () => {
    const other = await mkdtemp(join(tmpdir(), "ferry-pki-other-"));
    try {
      await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
      await ensurePki(other, { controllerName: "beta", hostnames: [] });
      await writeFile(join(dir, pkiFiles.caKey), await readFile(join(other, pkiFiles.caKey)));
      await expect(ensurePki(dir, { controllerName: "alpha", hostnames: [] })).rejects.toThrow(/unusable/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe("fingerprint", () => {
  it("matches openssl x509 -fingerprint -sha256", async () => {
    const pki = await ensurePki(dir, { controllerName: "alpha", hostnames: [] });
    const out = openssl(["x509", "-noout", "-fingerprint", "-sha256"], pki.caCertPem).trim();
    const expected = out.slice(out.indexOf("=") + 1);
    expect(pki.fingerprint).toBe(expected);
    expect(fingerprint(pki.caCertPem)).toBe(expected);
    expect(pki.fingerprint).toHaveLength(95);
    expect(pki.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // A different certificate gives a different fingerprint.
    expect(fingerprint(pki.serverCertPem)).not.toBe(expected);
  });
});
