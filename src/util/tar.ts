// A minimal POSIX ustar writer and reader, enough for controller backups:
// regular files with flat names. Written here rather than pulled in as a
// dependency because a backup needs only a few dozen lines of it, and because
// the writer must know the archive's exact size before the first byte is
// streamed (CreateBackup sends total_size in its first message), which is
// trivial with ustar: 512-byte header + data padded to 512 per file, plus two
// zero blocks at the end. `tar tvf` and `tar xf` read what this writes.
import { open } from "node:fs/promises";

export const BLOCK = 512;
/** Octal fits 11 digits (8 GiB - 1); larger sizes use GNU base-256, which GNU and BSD tar read. */
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarHeader {
  name: string;
  size: number;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  mtime: Date;
}

export interface TarEntry extends TarHeader {
  /** Offset of the entry's data in the archive. */
  offset: number;
}

export class TarFormatError extends Error {}

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new TarFormatError(`tar field too long: "${value}"`);
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  // length-1 digits and a NUL terminator, as ustar wants.
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function writeSize(buf: Buffer, size: number): void {
  if (size <= MAX_OCTAL_SIZE) return writeOctal(buf, 124, 12, size);
  // GNU base-256: high bit set, big-endian binary in the remaining 11 bytes.
  buf[124] = 0x80;
  let v = BigInt(size);
  for (let i = 135; i > 124; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function checksum(block: Buffer): number {
  let sum = 0;
  // The checksum field itself counts as eight spaces.
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** The 512-byte header of a regular file. */
export function tarHeader(h: TarHeader): Buffer {
  if (!h.name || h.name.length > 100) throw new TarFormatError(`tar entry name must be 1-100 bytes: "${h.name}"`);
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new TarFormatError(`invalid tar entry size ${h.size}`);
  const b = Buffer.alloc(BLOCK);
  writeString(b, 0, 100, h.name);
  writeOctal(b, 100, 8, h.mode & 0o7777);
  writeOctal(b, 108, 8, 0); // uid
  writeOctal(b, 116, 8, 0); // gid
  writeSize(b, h.size);
  writeOctal(b, 136, 12, Math.floor(h.mtime.getTime() / 1000));
  b[156] = 0x30; // '0': regular file
  writeString(b, 257, 6, "ustar\0");
  writeString(b, 263, 2, "00");
  writeString(b, 265, 32, "ferry");
  writeString(b, 297, 32, "ferry");
  writeString(b, 148, 8, checksum(b).toString(8).padStart(6, "0") + "\0 ");
  return b;
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/** Bytes one entry of `size` data bytes takes in the archive. */
export function tarEntrySize(size: number): number {
  return BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? length : nul).toString("utf8");
}

function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  const text = readString(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`bad ${what} field in tar header`);
  return text ? parseInt(text, 8) : 0;
}

function readSize(block: Buffer): number {
  if (block[124]! & 0x80) {
    let v = 0n;
    for (let i = 125; i < 136; i++) v = (v << 8n) | BigInt(block[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError("tar entry too large");
    return Number(v);
  }
  return readOctal(block, 124, 12, "size");
}

/** Parses one header block; undefined for an all-zero block (end of archive). */
export function parseTarHeader(block: Buffer): TarHeader | undefined {
  if (block.length !== BLOCK) throw new TarFormatError("truncated tar header");
  if (block.every((byte) => byte === 0)) return undefined;
  const stored = readOctal(block, 148, 8, "checksum");
  if (stored !== checksum(block)) throw new TarFormatError("tar header checksum mismatch");
  const type = block[156];
  if (type !== 0x30 && type !== 0)
    throw new TarFormatError(`unsupported tar entry type "${String.fromCharCode(type!)}"`);
  const prefix = readString(block, 345, 155);
  const name = readString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: readSize(block),
    mode: readOctal(block, 100, 8, "mode"),
    mtime: new Date(readOctal(block, 136, 12, "mtime") * 1000),
  };
}

/**
 * The entries of a tar file, read from their headers only (data is not
 * loaded). Fails on a truncated archive, a bad header checksum or a missing
 * end marker.
 */
export async function listTar(path: string): Promise<TarEntry[]> {
  const fh = await open(path, "r");
  try {
    const { size: fileSize } = await fh.stat();
    const entries: TarEntry[] = [];
    const block = Buffer.alloc(BLOCK);
    let pos = 0;
    for (;;) {
      if (pos + BLOCK > fileSize) throw new TarFormatError("truncated archive: no end-of-archive marker");
      await fh.read(block, 0, BLOCK, pos);
      const h = parseTarHeader(block);
      if (!h) return entries;
      const offset = pos + BLOCK;
      if (offset + h.size > fileSize) throw new TarFormatError(`truncated archive: "${h.name}" is cut short`);
      entries.push({ ...h, offset });
      pos = offset + h.size + tarPadding(h.size).length;
    }
  } finally {
    await fh.close();
  }
}
