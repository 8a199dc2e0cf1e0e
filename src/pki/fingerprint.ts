// CA fingerprints as people compare them: SHA-256 over the certificate's DER
// bytes, upper-case hex pairs joined by ':' (95 characters), identical to what
// `openssl x509 -noout -fingerprint -sha256` prints after '='. Users compare it
// by eye when they first trust a controller, so it must match the standard
// tools. Shared by the server (pki) and the client (trust on first use).
import { createHash, X509Certificate } from "node:crypto";

export function fingerprintDer(der: Uint8Array): string {
  const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

/** Fingerprint of the first certificate in a PEM. */
export function fingerprint(certPem: string): string {
  return fingerprintDer(new X509Certificate(certPem).raw);
}

/**
 * Normalise a fingerprint typed by a person (any case, with or without ':' or
 * spaces, with an optional "SHA256 Fingerprint=" prefix as openssl prints it)
 * so it can be compared with ours.
 */
export function normaliseFingerprint(fp: string): string {
  const hex = fp
    .replace(/^.*=/, "")
    .replace(/[^0-9a-fA-F]/g, "")
    .toUpperCase();
  return (hex.match(/../g) ?? []).join(":");
}
