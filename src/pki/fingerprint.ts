import { createHash, X509Certificate } from "node:crypto";

/**
 * The SHA-256 fingerprint of a PEM certificate, as upper-case hex pairs joined by
 * ':' (95 characters) — the same text `openssl x509 -noout -fingerprint -sha256`
 * prints after '='. Users compare it by eye when they first trust a controller, so
 * it must match what the standard tools show.
 *
 * If the PEM holds a chain, the first certificate is used.
 */
export function fingerprint(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return formatFingerprint(createHash("sha256").update(der).digest());
}

function formatFingerprint(digest: Buffer): string {
  const hex = digest.toString("hex").toUpperCase();
  const pairs: string[] = [];
  for (let i = 0; i < hex.length; i += 2) pairs.push(hex.slice(i, i + 2));
  return pairs.join(":");
}
