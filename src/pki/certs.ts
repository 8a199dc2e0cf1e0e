// Certificate generation for the controller's own CA and its server certificate.
//
// reflect-metadata must load before @peculiar/x509: its ASN.1 schema classes use
// decorator metadata at import time.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { isIP } from "node:net";
import { randomBytes, webcrypto } from "node:crypto";

// Node's WebCrypto (not a polyfill): native ECDSA keeps key generation in the
// millisecond range.
x509.cryptoProvider.set(webcrypto);

/** ECDSA P-256: small keys, fast handshakes, supported by every gRPC stack we target. */
const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256" } as const;
const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" } as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Clients pin the CA, so it must outlive any realistic deployment. */
export const CA_VALIDITY_DAYS = 3650;
/** The server certificate is cheap to reissue (at start) and carries no pinning. */
export const SERVER_VALIDITY_DAYS = 730;
/** Backdating tolerates clock skew between the controller and its clients. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface PemKeyPair {
  certPem: string;
  keyPem: string;
}

/** The names every server certificate carries, so local clients always verify. */
const builtinNames = ["localhost", "127.0.0.1", "::1"];

export function caSubjectName(controllerName: string): string {
  return `Ferry CA ${controllerName}`;
}

/** Create a self-signed CA that can sign end-entity certificates only (pathLen 0). */
export async function createCa(controllerName: string, now = new Date()): Promise<PemKeyPair> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    // JSON form instead of a "CN=..." string: controller names are user input and
    // must not be able to inject extra RDNs through commas or '='.
    name: [{ CN: [caSubjectName(controllerName)] }, { O: ["Ferry"] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await exportPrivateKey(keys.privateKey) };
}

/**
 * Issue a server certificate signed by `ca`, valid for localhost, 127.0.0.1, ::1 and
 * the given host names / IP addresses. It carries clientAuth too so the same
 * certificate can authenticate this controller to another one during a migration.
 */
export async function issueServerCert(
  ca: PemKeyPair,
  controllerName: string,
  hostnames: readonly string[],
  now = new Date(),
): Promise<PemKeyPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey("pkcs8", pemToDer(ca.keyPem), keyAlgorithm, false, ["sign"]);
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const keys = await generateKeyPair();
  const notAfter = new Date(Math.min(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [`Ferry controller ${controllerName}`] }, { O: ["Ferry"] }],
    // The CA's own Name object, so the issuer DER matches its subject byte for byte
    // (re-encoding a string could change the ASN.1 string types and break chains).
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(
        serverNames(hostnames).map((n) => ({ type: isIP(n) ? "ip" : "dns", value: n })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(caKeyId ? [new x509.AuthorityKeyIdentifierExtension(caKeyId)] : []),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await exportPrivateKey(keys.privateKey) };
}

/**
 * The canonical, de-duplicated, sorted list of SAN entries for a server certificate:
 * the built-in local names plus the configured ones. Sorting makes "did the
 * configuration change?" a plain array comparison.
 */
export function serverNames(hostnames: readonly string[]): string[] {
  const names = new Set<string>();
  for (const raw of [...builtinNames, ...hostnames]) {
    const n = normalizeName(raw);
    if (n) names.add(n);
  }
  return [...names].sort();
}

/** The SAN entries of an existing certificate, normalised like serverNames(). */
export function certNames(certPem: string): string[] {
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  const names = new Set<string>();
  for (const item of san?.names.items ?? []) {
    if (item.type !== "dns" && item.type !== "ip") continue;
    const n = normalizeName(item.value);
    if (n) names.add(n);
  }
  return [...names].sort();
}

function normalizeName(raw: string): string | undefined {
  let n = raw.trim();
  if (n.startsWith("[") && n.endsWith("]")) n = n.slice(1, -1); // "[::1]" as in URLs
  if (n === "") return undefined;
  if (isIP(n) === 6) {
    // The WHATWG URL parser canonicalises IPv6 (compression, case), so "0:0::1",
    // "::1" and whatever form a certificate decoder prints all compare equal.
    return new URL(`http://[${n}]/`).hostname.slice(1, -1);
  }
  return isIP(n) === 4 ? n : n.toLowerCase();
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

function pemToDer(pem: string): ArrayBuffer {
  const [der] = x509.PemConverter.decode(pem);
  if (!der) throw new Error("no PEM block found");
  return der;
}

/** 128 random bits, positive and without a leading zero byte (RFC 5280 4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}
