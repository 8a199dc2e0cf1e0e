// The controller's PKI: one CA per controller (clients pin it by fingerprint) and a
// server certificate it signs for each node. On the embedded store everything
// lives in the data directory; when several nodes share a store, the CA (key
// included) lives in the store and each node keeps only its own server
// certificate (and a copy of the public CA certificate, for tools) in its data
// dir. Everything is reused across restarts; the CA is never replaced silently,
// because that would cut off every client and peer controller that pinned it.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { certNames, createCa, issueServerCert, serverNames, type PemKeyPair } from "./certs.js";
import { readIfExists, writeFileAtomic } from "./files.js";
import { fingerprint } from "./fingerprint.js";

export { fingerprint } from "./fingerprint.js";
export { caSubjectName, createCa, serverNames, type PemKeyPair } from "./certs.js";

/** File names inside the data directory. */
export const pkiFiles = {
  caCert: "ca.pem",
  caKey: "ca.key",
  serverCert: "server.pem",
  serverKey: "server.key",
} as const;

export interface PkiOptions {
  controllerName: string;
  /** Extra DNS names / IP addresses clients use to reach this controller. */
  hostnames: string[];
  /** Injectable clock for expiry tests. */
  now?: Date;
}

export interface Pki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** SHA-256 fingerprint of the CA certificate (what clients pin). */
  fingerprint: string;
  /** True when this call created the CA (first start). */
  caCreated: boolean;
  /** True when this call (re)issued the server certificate. */
  serverIssued: boolean;
}

/** Reissue the server certificate at start when it has less than this left. */
const RENEW_BEFORE_MS = 60 * 24 * 60 * 60 * 1000;

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/**
 * Load the controller's CA and server certificate from `dataDir`, creating them on
 * first start. The server certificate is reissued from the same CA when the
 * configured host names change, when it is close to expiry, or when it no longer
 * matches the CA or its key.
 */
export async function ensurePki(dataDir: string, opts: PkiOptions): Promise<Pki> {
  const now = opts.now ?? new Date();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(dataDir, name);

  let caCreated = false;
  let ca = await loadCa(dataDir);
  if (!ca) {
    ca = await createCa(opts.controllerName, now);
    // Key first: a crash between the two writes then leaves a key without a
    // certificate, which loadCa reports, rather than a certificate nobody can sign with.
    await writeFileAtomic(path(pkiFiles.caKey), ca.keyPem, KEY_MODE);
    await writeFileAtomic(path(pkiFiles.caCert), ca.certPem, CERT_MODE);
    caCreated = true;
  }
  return { ...(await ensureServerCert(dataDir, ca, opts)), caCreated };
}

/**
 * A node of a controller whose CA lives in the shared store: checks the CA
 * pair it was given, keeps a copy of the (public) CA certificate in the data
 * dir for tools, and issues or reuses its own server certificate there.
 */
export async function ensureNodePki(dataDir: string, ca: PemKeyPair, opts: PkiOptions): Promise<Pki> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  checkCaPair(ca, "the controller CA in the store");
  if ((await readIfExists(join(dataDir, pkiFiles.caCert))) !== ca.certPem) {
    await writeFileAtomic(join(dataDir, pkiFiles.caCert), ca.certPem, CERT_MODE);
  }
  return { ...(await ensureServerCert(dataDir, ca, opts)), caCreated: false };
}

async function ensureServerCert(dataDir: string, ca: PemKeyPair, opts: PkiOptions): Promise<Omit<Pki, "caCreated">> {
  const now = opts.now ?? new Date();
  const path = (name: string) => join(dataDir, name);
  const wanted = serverNames(opts.hostnames);
  let server = await loadServer(dataDir);
  let serverIssued = false;
  if (!server || !serverStillGood(server, ca, wanted, now)) {
    server = await issueServerCert(ca, opts.controllerName, opts.hostnames, now);
    await writeFileAtomic(path(pkiFiles.serverKey), server.keyPem, KEY_MODE);
    await writeFileAtomic(path(pkiFiles.serverCert), server.certPem, CERT_MODE);
    serverIssued = true;
  }

  return {
    caCertPem: ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    fingerprint: fingerprint(ca.certPem),
    serverIssued,
  };
}

function checkCaPair(ca: PemKeyPair, what: string): void {
  const cert = new X509Certificate(ca.certPem);
  if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(ca.keyPem))) {
    throw new Error(`${what} is unusable: its key does not belong to its certificate, or it is not a CA`);
  }
}

async function loadCa(dataDir: string): Promise<PemKeyPair | undefined> {
  const certPem = await readIfExists(join(dataDir, pkiFiles.caCert));
  const keyPem = await readIfExists(join(dataDir, pkiFiles.caKey));
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined || keyPem === undefined) {
    const missing = certPem === undefined ? pkiFiles.caCert : pkiFiles.caKey;
    throw new Error(
      `PKI in ${dataDir} is incomplete: ${missing} is missing. Refusing to create a new CA ` +
        `because clients pin the existing one; restore ${missing} from a backup, or remove ` +
        `both ${pkiFiles.caCert} and ${pkiFiles.caKey} to start over with a new CA.`,
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new Error(`${pkiFiles.caKey} does not belong to ${pkiFiles.caCert}, or it is not a CA`);
    }
  } catch (err) {
    throw new Error(`PKI in ${dataDir} is unusable: ${(err as Error).message}`, { cause: err });
  }
  return { certPem, keyPem };
}

async function loadServer(dataDir: string): Promise<PemKeyPair | undefined> {
  const certPem = await readIfExists(join(dataDir, pkiFiles.serverCert));
  const keyPem = await readIfExists(join(dataDir, pkiFiles.serverKey));
  if (certPem === undefined || keyPem === undefined) return undefined;
  return { certPem, keyPem };
}

/** Whether an existing server certificate can be served as is. Never throws: anything odd means "reissue". */
function serverStillGood(server: PemKeyPair, ca: PemKeyPair, wanted: string[], now: Date): boolean {
  try {
    const cert = new X509Certificate(server.certPem);
    const caCert = new X509Certificate(ca.certPem);
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(server.keyPem))) return false;
    if (new Date(cert.validFrom) > now) return false;
    if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
    const have = certNames(server.certPem);
    return have.length === wanted.length && have.every((n, i) => n === wanted[i]);
  } catch {
    return false;
  }
}
