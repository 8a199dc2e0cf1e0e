// Passwords and bearer tokens. Passwords are kept only as salted scrypt
// hashes; tokens are 256 random bits handed to the caller once and stored
// only as their SHA-256 (a stolen database yields no usable token).
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";

// N=2^15, r=8, p=1: ~32 MiB and a few tens of ms per hash on this class of
// machine; slow enough to make offline guessing expensive.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEYLEN, { N: n, r, p, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt$N$r$p$salt$hash", salt and hash base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

// Agent passwords are 192 random bits, never chosen by a person: no
// dictionary or brute force reaches them, so their scrypt cost protects
// against nothing a guess could win, while every agent logs in to its
// controller (and, in VALIDATION, to the destination) at once after a start
// or a migration. N=2^12 (4 MiB, about 5 ms) keeps a thousand logins to a few
// seconds of one core; still salted and memory-hard, as the rule asks.
const AGENT_N = 1 << 12;

/** A new agent password: 192 random bits (32 characters). */
export function newAgentPassword(): string {
  return randomBytes(24).toString("base64url");
}

/** The stored form of an agent password (the same format; verifyPassword reads both). */
export async function hashAgentPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, AGENT_N, R, P);
  return `scrypt$${AGENT_N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** verifyPassword for agents: an agent with no password costs what a real check of an agent's does. */
export async function verifyAgentPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) {
    await scrypt(password, Buffer.alloc(16), AGENT_N, R, P);
    return false;
  }
  return verifyPassword(password, stored);
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) {
    // Spend the same time as a real check so timing does not reveal whether a
    // user exists or has a password.
    await scrypt(password, Buffer.alloc(16), N, R, P);
    return false;
  }
  const [alg, n, r, p, salt, hash] = stored.split("$");
  if (alg !== "scrypt" || !hash) return false;
  const key = await scrypt(password, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  const want = Buffer.from(hash, "base64");
  return want.length === key.length && timingSafeEqual(want, key);
}

/** A new random bearer token (URL-safe, 43 characters). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What is stored for a token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A random password for generated admin credentials. */
export function newPassword(): string {
  return randomBytes(18).toString("base64url");
}

export const MIN_PASSWORD_LENGTH = 8;
