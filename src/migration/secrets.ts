// Keeping the destination's migration token protected at rest: AES-256-GCM
// with a per-controller key: in <data-dir>/migration.key (0600, created on
// first use) on the embedded store, so a stolen database alone (e.g. a
// backup without the data dir) does not reveal tokens; in the shared store
// when several nodes serve the controller (each must open what another
// sealed: a migration moves to another node when its node dies). The
// migration id is the additional authenticated data, so a sealed token copied
// onto another migration row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KEY_FILE = "migration.key";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = "v1";

export interface SecretBox {
  /** Encrypts `plain`, bound to `context` (the migration id). */
  seal(plain: string, context: string): string;
  /** Decrypts what seal returned for the same context; throws if tampered with. */
  open(sealed: string, context: string): string;
}

/** Reads the key, creating it (exclusively, 0600) when it does not exist yet. */
function loadKey(dataDir: string): Buffer {
  const file = join(dataDir, KEY_FILE);
  try {
    // "wx": two processes racing on first use cannot both write a key.
    writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  // Tighten a key file someone loosened (umask, copy); never widen.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new Error(`${file}: want a ${KEY_BYTES}-byte key, found ${key.length} bytes`);
  return key;
}

/** A new random key (for a controller whose key lives in the shared store). */
export function newSecretKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The box of a controller on the embedded store: the key file in its data dir. */
export function createSecretBox(dataDir: string): SecretBox {
  let key: Buffer | undefined;
  return boxWith(() => (key ??= loadKey(dataDir)));
}

/** The box with a given key (from the shared store). */
export function createSecretBoxWithKey(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new Error(`migration key: want ${KEY_BYTES} bytes, found ${key.length}`);
  return boxWith(() => key);
}

function boxWith(k: () => Buffer): SecretBox {
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv("aes-256-gcm", k(), iv);
      c.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      return [VERSION, iv.toString("base64"), c.getAuthTag().toString("base64"), body.toString("base64")].join(":");
    },
    open(sealed, context) {
      const [v, iv, tag, body] = sealed.split(":");
      if (v !== VERSION || !iv || !tag || body === undefined) throw new Error("not a sealed secret");
      const d = createDecipheriv("aes-256-gcm", k(), Buffer.from(iv, "base64"));
      d.setAAD(Buffer.from(context, "utf8"));
      d.setAuthTag(Buffer.from(tag, "base64"));
      return Buffer.concat([d.update(Buffer.from(body, "base64")), d.final()]).toString("utf8");
    },
  };
}
