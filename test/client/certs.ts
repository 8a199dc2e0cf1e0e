// Test certificates made with the openssl CLI: a CA, a server certificate it
// signed, and an unrelated CA, so TLS pinning can be tested for real.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  caPem: string;
  caPath: string;
  serverCertPem: string;
  serverKeyPem: string;
  otherCaPem: string;
  /** A self-signed server certificate not issued by caPem. */
  rogueCertPem: string;
  rogueKeyPem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-out",
    `${name}.pem`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

function makeLeaf(dir: string, name: string, ca: string): void {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "ferry-pki-"));
  makeCa(dir, "ca");
  makeLeaf(dir, "server", "ca");
  makeCa(dir, "other");
  makeCa(dir, "rogue");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caPem: read("ca.pem"),
    caPath: join(dir, "ca.pem"),
    serverCertPem: read("server.pem"),
    serverKeyPem: read("server.key"),
    otherCaPem: read("other.pem"),
    rogueCertPem: read("rogue.pem"),
    rogueKeyPem: read("rogue.key"),
  };
}
