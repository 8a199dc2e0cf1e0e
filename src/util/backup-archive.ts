// The controller backup archive: what is in it, and reading it back safely.
// Shared by ferryd (which unpacks a backup with --restore-from) and the CLI
// (which checks one before it starts a daemon on it), so both refuse exactly
// the same damaged files with the same words.
//
// Layout: a ustar archive whose first entry is MANIFEST_NAME (JSON: format,
// controller identity, and name/size/mode/SHA-256 of every other entry),
// followed by the store snapshot and the PKI files, flat names only. The
// whole file's SHA-256 is what CreateBackup reports and what `ferry
// create-backup` writes to `<file>.sha256` (sha256sum format).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { listTar, TarFormatError, type TarEntry } from "./tar.js";

export const MANIFEST_NAME = "ferry-backup.json";
export const BACKUP_FORMAT = "ferry-backup/1";
export const STORE_FILE = "ferry.db";
/** A PostgreSQL store's logical dump (store/postgres/dump.ts). */
export const DUMP_FILE = "ferry-store.ndjson";
/**
 * In a backup of a controller on its embedded store, besides the store: the
 * CA and the server certificate with their keys. (On a shared store the CA
 * and its key are in the dump; the archive carries the public ca.pem only,
 * and each node issues its own server certificate.)
 */
export const PKI_FILE_NAMES = ["ca.pem", "ca.key", "server.pem", "server.key"] as const;
/** Entries a data dir may already hold before a restore: the launcher's own log and launch record. */
export const RESTORE_ALLOWED_ENTRIES = ["ferryd.log", "launch.json"];

export interface BackupControllerInfo {
  name: string;
  uuid: string;
  version: string;
  cloud: string;
  cloudType: string;
  region: string;
  regions: string[];
  addresses: string[];
  caFingerprint: string;
  controllerModelUuid: string;
}

export interface BackupFile {
  name: string;
  size: number;
  /** Permission bits the file is restored with. */
  mode: number;
  sha256: string;
}

export interface BackupManifest {
  format: string;
  /** RFC 3339. */
  createdAt: string;
  createdBy: string;
  /** Version of the ferryd that wrote it. */
  ferryVersion: string;
  controller: BackupControllerInfo;
  /** Number of models (controller model included) in the snapshot, for humans. */
  modelCount: number;
  /** The store's engine and its file in the archive (absent: an embedded store in ferry.db). */
  store?: { engine: "sqlite" | "postgres"; file: string };
  /** Every entry after the manifest, in archive order. */
  files: BackupFile[];
}

/** A backup that must not be restored: damaged, incomplete or not a Ferry backup. */
export class BackupError extends Error {}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** SHA-256 (lower-case hex) of a file, or of `length` bytes from `start`. */
export async function sha256File(path: string, start = 0, length?: number): Promise<string> {
  const hash = createHash("sha256");
  if (length === 0) return hash.digest("hex");
  const end = length === undefined ? undefined : start + length - 1;
  for await (const chunk of createReadStream(path, { start, end, highWaterMark: 1 << 20 })) hash.update(chunk);
  return hash.digest("hex");
}

/** A line `sha256sum -c` accepts. */
export function checksumLine(sha256: string, file: string): string {
  return `${sha256}  ${basename(file)}\n`;
}

export function checksumFileFor(archive: string): string {
  return `${archive}.sha256`;
}

function validateManifest(doc: unknown): BackupManifest {
  const m = doc as Partial<BackupManifest> | null;
  if (!m || typeof m !== "object" || m.format !== BACKUP_FORMAT) {
    throw new BackupError(`unsupported backup format ${JSON.stringify(m?.format)} (expected "${BACKUP_FORMAT}")`);
  }
  const c = m.controller;
  if (!c || typeof c.uuid !== "string" || typeof c.name !== "string" || !c.uuid || !c.name) {
    throw new BackupError("the manifest does not name the controller");
  }
  if (!Array.isArray(m.files)) throw new BackupError("the manifest lists no files");
  for (const f of m.files) {
    if (!f || typeof f.name !== "string" || !SAFE_NAME.test(f.name) || f.name === MANIFEST_NAME) {
      // Flat, plain names only: nothing in a backup may write outside the data dir.
      throw new BackupError(`the manifest lists an invalid file name ${JSON.stringify(f?.name)}`);
    }
    if (!Number.isSafeInteger(f.size) || f.size < 0 || !HEX64.test(String(f.sha256))) {
      throw new BackupError(`the manifest entry for ${f.name} is malformed`);
    }
    if (!Number.isInteger(f.mode)) f.mode = 0o600;
  }
  const engine = m.store?.engine ?? "sqlite";
  if (engine !== "sqlite" && engine !== "postgres")
    throw new BackupError(`unknown store engine ${JSON.stringify(engine)}`);
  const required = engine === "sqlite" ? [STORE_FILE, ...PKI_FILE_NAMES] : [DUMP_FILE, "ca.pem"];
  if (m.store && m.store.file !== required[0]) throw new BackupError(`the manifest names an unexpected store file`);
  for (const name of required) {
    if (!m.files.some((f) => f.name === name)) throw new BackupError(`the backup has no ${name}`);
  }
  return m as BackupManifest;
}

/** The engine of the store a backup holds. */
export function backupEngine(m: BackupManifest): "sqlite" | "postgres" {
  return m.store?.engine ?? "sqlite";
}

export interface VerifiedBackup {
  manifest: BackupManifest;
  /** Archive entries by name, with their data offsets. */
  entries: Map<string, TarEntry>;
  /** SHA-256 of the whole archive. */
  sha256: string;
  /** Which whole-file checksum was checked, if any. */
  checkedAgainst?: "expected" | "checksum-file";
}

export interface VerifyOptions {
  /** The archive's SHA-256 as the user has it (e.g. from create-backup's output). */
  expectedSha256?: string;
}

/**
 * Reads and checks a backup end to end: the whole-file SHA-256 against
 * `expectedSha256` and against `<file>.sha256` when either exists, every tar
 * header, the manifest, and every entry's size and SHA-256. Throws
 * BackupError saying what is wrong.
 */
export async function verifyBackup(path: string, opts: VerifyOptions = {}): Promise<VerifiedBackup> {
  let sha256: string;
  try {
    sha256 = await sha256File(path);
  } catch (err) {
    throw new BackupError(`cannot read backup ${path}: ${(err as Error).message}`);
  }
  let checkedAgainst: VerifiedBackup["checkedAgainst"];
  if (opts.expectedSha256) {
    const want = opts.expectedSha256.trim().toLowerCase();
    if (want !== sha256) throw new BackupError(`SHA-256 mismatch: expected ${want}, the file has ${sha256}`);
    checkedAgainst = "expected";
  }
  const sidecar = await readFile(checksumFileFor(path), "utf8").catch(() => undefined);
  if (sidecar !== undefined) {
    const want = sidecar.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
    if (want !== sha256) {
      throw new BackupError(`SHA-256 mismatch: ${checksumFileFor(path)} says ${want}, the file has ${sha256}`);
    }
    checkedAgainst ??= "checksum-file";
  }

  let list: TarEntry[];
  try {
    list = await listTar(path);
  } catch (err) {
    if (err instanceof TarFormatError) throw new BackupError(`not a readable backup archive: ${err.message}`);
    throw err;
  }
  if (list[0]?.name !== MANIFEST_NAME) throw new BackupError(`not a Ferry backup: ${MANIFEST_NAME} is missing`);
  const fh = await open(path, "r");
  let manifest: BackupManifest;
  try {
    const buf = Buffer.alloc(list[0].size);
    await fh.read(buf, 0, buf.length, list[0].offset);
    let doc: unknown;
    try {
      doc = JSON.parse(buf.toString("utf8"));
    } catch {
      throw new BackupError(`${MANIFEST_NAME} is not valid JSON`);
    }
    manifest = validateManifest(doc);
  } finally {
    await fh.close();
  }

  const entries = new Map(list.slice(1).map((e) => [e.name, e]));
  if (entries.size !== list.length - 1) throw new BackupError("the archive holds the same file twice");
  for (const name of entries.keys()) {
    if (!manifest.files.some((f) => f.name === name)) throw new BackupError(`${name} is not listed in the manifest`);
  }
  for (const f of manifest.files) {
    const e = entries.get(f.name);
    if (!e) throw new BackupError(`${f.name} is listed in the manifest but missing from the archive`);
    if (e.size !== f.size) throw new BackupError(`${f.name} has ${e.size} bytes, the manifest says ${f.size}`);
    const got = await sha256File(path, e.offset, e.size);
    if (got !== f.sha256) throw new BackupError(`${f.name} does not match its SHA-256 in the manifest`);
  }
  return { manifest, entries, sha256, ...(checkedAgainst ? { checkedAgainst } : {}) };
}

/** Throws unless `dir` is missing or holds nothing but RESTORE_ALLOWED_ENTRIES. */
export async function assertRestorable(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const other = entries.filter((e) => !RESTORE_ALLOWED_ENTRIES.includes(e));
  if (other.length) {
    throw new BackupError(
      `refusing to restore into ${dir}: it is not empty (${other.slice(0, 5).join(", ")}${other.length > 5 ? ", ..." : ""}); ` +
        "restore into a new, empty data directory",
    );
  }
}

async function copyRange(archive: string, e: TarEntry, dest: string, mode: number): Promise<void> {
  const out = await open(dest, "wx", mode);
  try {
    await out.chmod(mode); // the umask filters open()'s mode
    if (e.size > 0) {
      for await (const chunk of createReadStream(archive, {
        start: e.offset,
        end: e.offset + e.size - 1,
        highWaterMark: 1 << 20,
      })) {
        await out.write(chunk as Buffer);
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
}

/**
 * Verifies `archive` and unpacks it into `dataDir`, which must be empty (see
 * assertRestorable). Files land under temporary names and are renamed into
 * place with the store last, so an interrupted restore never leaves a data
 * dir that looks like a complete controller.
 */
export async function restoreBackup(
  archive: string,
  dataDir: string,
  opts: VerifyOptions & { verified?: VerifiedBackup } = {},
): Promise<BackupManifest> {
  await assertRestorable(dataDir);
  // A caller that has just verified the archive (to learn its name) passes
  // the result instead of hashing a possibly large file twice.
  const { manifest, entries } = opts.verified ?? (await verifyBackup(archive, opts));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storeFile = manifest.store?.file ?? STORE_FILE;
  const order = [...manifest.files].sort((a, b) => Number(a.name === storeFile) - Number(b.name === storeFile));
  const staged: [string, string][] = [];
  try {
    for (const f of order) {
      const tmp = join(dataDir, `.restore-${f.name}`);
      await rm(tmp, { force: true });
      staged.push([tmp, join(dataDir, f.name)]);
      await copyRange(archive, entries.get(f.name)!, tmp, f.mode & 0o777);
    }
  } catch (err) {
    for (const [tmp] of staged) await rm(tmp, { force: true });
    throw err;
  }
  for (const [tmp, final] of staged) await rename(tmp, final);
  return manifest;
}
