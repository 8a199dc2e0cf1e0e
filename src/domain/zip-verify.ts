// Checking an uploaded zip archive without trusting it (issue 11): a charm
// whose headers say 40 bytes but whose data inflates to 1 GiB must be refused
// after at most its declared size, and the controller must keep answering
// meanwhile.
//
//   - The central directory is read by hand (it is a simple format): every
//     entry's method, sizes, CRC-32 and where its data is. Zip64, encryption
//     and methods other than stored/deflate are refused.
//   - The declared sizes are bounded (each and in all) before anything inflates.
//   - Each entry inflates with Node's zlib on the libuv thread pool, never on
//     the event loop, with maxOutputLength at its declared size: data that
//     inflates to more stops right there.
//   - Each entry's CRC-32 is computed in 1 MiB slices with a yield between
//     them, and must match the directory's.
// Only the entries asked for are kept; the others are checked and dropped.
import { promisify } from "node:util";
import { crc32, inflateRaw } from "node:zlib";

const inflate = promisify(inflateRaw) as (buf: Uint8Array, opts: { maxOutputLength: number }) => Promise<Buffer>;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const CRC_SLICE = 1024 * 1024;

export interface ZipLimits {
  /** Entries in the archive. */
  maxEntries: number;
  /** Declared uncompressed bytes of all entries together. */
  maxTotalBytes: number;
}

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  dataOffset: number;
}

class ZipError extends Error {}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** The central directory's entries, each with where its data starts; throws ZipError. */
export function zipEntries(b: Uint8Array, limits: ZipLimits): ZipEntry[] {
  // The end record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (u32(b, i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("no end of central directory record");
  const count = u16(b, eocd + 10);
  const cdSize = u32(b, eocd + 12);
  const cdOffset = u32(b, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError("zip64 archives are not supported");
  if (count > limits.maxEntries) throw new ZipError(`more than ${limits.maxEntries} entries`);
  if (cdOffset + cdSize > eocd) throw new ZipError("central directory outside the archive");
  const out: ZipEntry[] = [];
  let total = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || u32(b, p) !== CENTRAL) throw new ZipError("corrupt central directory");
    const flags = u16(b, p + 8);
    const method = u16(b, p + 10);
    const crc = u32(b, p + 16);
    const compressedSize = u32(b, p + 20);
    const size = u32(b, p + 24);
    const nameLen = u16(b, p + 28);
    const extraLen = u16(b, p + 30);
    const commentLen = u16(b, p + 32);
    const local = u32(b, p + 42);
    const name = Buffer.from(b.buffer, b.byteOffset + p + 46, nameLen).toString("utf8");
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw new ZipError(`${name.slice(0, 80)}: encrypted entries are not supported`);
    if (method !== 0 && method !== 8)
      throw new ZipError(`${name.slice(0, 80)}: compression method ${method} is not supported`);
    if (compressedSize === 0xffffffff || size === 0xffffffff) throw new ZipError("zip64 archives are not supported");
    if (method === 0 && compressedSize !== size)
      throw new ZipError(`${name.slice(0, 80)}: stored entry with two sizes`);
    total += size;
    if (total > limits.maxTotalBytes) {
      throw new ZipError(`its entries declare more than ${limits.maxTotalBytes} bytes in all`);
    }
    if (local + 30 > b.length || u32(b, local) !== LOCAL) throw new ZipError(`${name.slice(0, 80)}: bad local header`);
    const dataOffset = local + 30 + u16(b, local + 26) + u16(b, local + 28);
    if (dataOffset + compressedSize > cdOffset) throw new ZipError(`${name.slice(0, 80)}: data outside the archive`);
    out.push({ name, method, crc, compressedSize, size, dataOffset });
  }
  return out;
}

async function crcOf(data: Uint8Array): Promise<number> {
  let crc = 0;
  for (let o = 0; o < data.length; o += CRC_SLICE) {
    crc = crc32(data.subarray(o, Math.min(data.length, o + CRC_SLICE)), crc);
    if (o + CRC_SLICE < data.length) await new Promise((r) => setImmediate(r));
  }
  return crc >>> 0;
}

/**
 * Every entry inflated (off the event loop, never past its declared size)
 * and CRC-checked; returns the contents of the entries `keep` names, or what
 * is wrong with the archive.
 */
export async function verifyZip(
  b: Uint8Array,
  limits: ZipLimits,
  keep: (name: string) => boolean,
): Promise<{ files: Record<string, Uint8Array> } | { error: string }> {
  let entries: ZipEntry[];
  try {
    entries = zipEntries(b, limits);
  } catch (e) {
    if (e instanceof ZipError) return { error: e.message };
    throw e;
  }
  const files: Record<string, Uint8Array> = {};
  for (const e of entries) {
    const raw = b.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else {
      try {
        // +1: one byte more than declared is enough to know the header lied.
        data = await inflate(raw, { maxOutputLength: Math.max(1, e.size + 1) });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "ERR_BUFFER_TOO_LARGE" || code === "ERR_OUT_OF_RANGE") {
          return { error: `${e.name.slice(0, 80)} inflates to more than its declared ${e.size} bytes` };
        }
        return { error: `${e.name.slice(0, 80)}: corrupt deflate data (${(err as Error).message})` };
      }
      if (data.length !== e.size) {
        return { error: `${e.name.slice(0, 80)} inflates to ${data.length} bytes, not its declared ${e.size}` };
      }
    }
    if ((await crcOf(data)) !== e.crc) return { error: `${e.name.slice(0, 80)}: CRC-32 mismatch` };
    if (keep(e.name)) files[e.name] = data;
  }
  return { files };
}
