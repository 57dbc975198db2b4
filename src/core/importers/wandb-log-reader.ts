import { closeSync, openSync, readSync } from 'node:fs';
import { crc32c, maskCrc } from './crc32c.ts';

const BLOCK = 32768;
const HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/** zlib's CRC-32, which the Python W&B writer uses for its log records. */
const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The checksum covers the type byte and the data; W&B's Python writer uses CRC-32, LevelDB CRC-32C. */
function checksumOk(stored: number, buf: Uint8Array, start: number, end: number): boolean {
  if (crc32(buf, start, end) === stored) return true;
  const c = crc32c(buf, start, end);
  return c === stored || maskCrc(c) === stored;
}

export interface LogProblem {
  offset: number;
  message: string;
}

/**
 * Reads a W&B `.wandb` file: a 7-byte header (`:W&B`, magic, version), then LevelDB-log framing
 * in 32 KiB blocks (checksum, length, type; a record may be split FIRST/MIDDLE/LAST across
 * blocks). Streams block by block; a damaged chunk drops its record and reading goes on at the
 * next block.
 */
export function readWandbLog(file: string, onRecord: (data: Uint8Array, index: number) => void, onProblem: (p: LogProblem) => void, isCancelled: () => boolean = () => false): number {
  const fd = openSync(file, 'r');
  const block = new Uint8Array(BLOCK);
  const view = new DataView(block.buffer);
  let parts: Uint8Array[] = [];
  // After a damaged chunk, the rest of its record (MIDDLE/LAST in later blocks) is dropped quietly.
  let dropping = false;
  let index = 0;
  let records = 0;
  try {
    const head = new Uint8Array(HEADER);
    if (readSync(fd, head, 0, HEADER, 0) < HEADER || String.fromCharCode(...head.subarray(0, 4)) !== ':W&B') {
      onProblem({ offset: 0, message: 'not a W&B run log (no :W&B header); history not read' });
      return 0;
    }
    // The header is part of the first block.
    let blockStart = 0;
    for (;;) {
      if ((index & 255) === 0 && isCancelled()) break;
      const n = readSync(fd, block, 0, BLOCK, blockStart);
      if (n === 0) break;
      let pos = blockStart === 0 ? HEADER : 0;
      const validAt = (at: number): boolean => {
        const l = view.getUint16(at + 4, true);
        return at + HEADER + l <= n && checksumOk(view.getUint32(at, true), block, at + 6, at + HEADER + l);
      };
      while (pos + HEADER <= n) {
        const stored = view.getUint32(pos, true);
        const len = view.getUint16(pos + 4, true);
        const type = block[pos + 6]!;
        if (stored === 0 && len === 0 && type === 0) break; // zero padding at a block's end
        if (pos + HEADER + len > n) {
          onProblem({ offset: blockStart + pos, message: `record ${index}: truncated (the file ends inside it)` });
          parts = [];
          break;
        }
        if (!checksumOk(stored, block, pos + 6, pos + HEADER + len)) {
          // Only the data may be damaged: if the length leads to a valid next record, go on there.
          const next = pos + HEADER + len;
          const resume = next + HEADER <= n && validAt(next);
          onProblem({ offset: blockStart + pos, message: `record ${index}: checksum mismatch; ${resume ? 'skipped' : 'skipped to the next block'}` });
          parts = [];
          dropping = true;
          index++;
          if (resume) {
            pos = next;
            continue;
          }
          break;
        }
        const data = block.slice(pos + HEADER, pos + HEADER + len);
        pos += HEADER + len;
        if (type === FULL || type === FIRST) dropping = false;
        if (type === FULL) {
          onRecord(data, index++);
          records++;
        } else if (type === FIRST) parts = [data];
        else if (type === MIDDLE && parts.length) parts.push(data);
        else if (type === LAST && parts.length) {
          parts.push(data);
          const whole = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
          let o = 0;
          for (const p of parts) whole.set(p, o), (o += p.length);
          parts = [];
          onRecord(whole, index++);
          records++;
        } else if (!dropping) {
          onProblem({ offset: blockStart + pos, message: `record ${index}: fragment of type ${type} out of sequence; skipped` });
          parts = [];
        }
      }
      if (n < BLOCK) break;
      blockStart += BLOCK;
    }
    return records;
  } finally {
    closeSync(fd);
  }
}
