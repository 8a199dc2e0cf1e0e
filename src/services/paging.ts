// AIP-158 pagination helpers: page sizes and opaque page tokens.
import { badField } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSize(requested: number): number {
  if (requested < 0) throw badField("page_size", "must not be negative");
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/** Page tokens are the base64url of the last key returned, prefixed to detect garbage. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(`v1:${lastKey}`, "utf8").toString("base64url");
}

export function decodePageToken(token: string, field = "page_token"): string {
  if (!token) return "";
  const s = Buffer.from(token, "base64url").toString("utf8");
  if (!s.startsWith("v1:")) throw badField(field, "invalid page token");
  return s.slice(3);
}
