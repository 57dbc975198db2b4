import { closeSync, openSync, readSync } from 'node:fs';
import { crc32c, maskCrc } from './crc32c.ts';

export interface RecordProblem {
  offset: number;
  message: string;
}

const CHUNK = 4 << 20;
const MAX_RECORD = 1 << 30;

/**
 * Streams the records of a TFRecord file (uint64 length, masked CRC-32C of the length, data,
 * masked CRC-32C of the data) through a fixed window, so a 1 GB event file never sits in memory.
 * A record whose data CRC fails is skipped; a length whose CRC fails makes the reader scan for
 * the next valid header; a truncated tail is reported. `onRecord` gets the buffer (and a view of it) and the
 * data's bounds, valid only during the call.
 */
export function readTfRecords(
  file: string,
  onRecord: (buf: Uint8Array, start: number, end: number, index: number, view: DataView) => void,
  onProblem: (p: RecordProblem) => void,
  isCancelled: () => boolean = () => false,
): { records: number; bytes: number } {
  const fd = openSync(file, 'r');
  let buf: Uint8Array = Buffer.allocUnsafe(CHUNK);
  let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let filled = 0; // bytes valid in buf
  let pos = 0; // parse position in buf
  let base = 0; // file offset of buf[0]
  let eof = false;
  let records = 0;
  let index = 0;
  let stopped = false;
  const fill = (need: number): boolean => {
    // Makes `need` bytes available from `pos`; false at end of file.
    while (filled - pos < need && !eof) {
      if (pos > 0) {
        buf.copyWithin(0, pos, filled);
        base += pos;
        filled -= pos;
        pos = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        bigger.set(buf.subarray(0, filled));
        buf = bigger;
        view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) eof = true;
      filled += n;
    }
    return filled - pos >= need;
  };
  try {
    while (fill(12)) {
      if ((records & 1023) === 0 && isCancelled()) break;
      const lenLo = view.getUint32(pos, true);
      const lenHi = view.getUint32(pos + 4, true);
      if (maskCrc(crc32c(buf, pos, pos + 8)) !== view.getUint32(pos + 8, true) || lenHi !== 0 || lenLo > MAX_RECORD) {
        const at = base + pos;
        if (!resync()) {
          onProblem({ offset: at, message: `record ${index}: damaged length header; no valid record follows` });
          stopped = true;
          break;
        }
        onProblem({ offset: at, message: `record ${index}: damaged length header; skipped ${base + pos - at} bytes to the next valid record` });
        index++;
        continue;
      }
      const len = lenLo;
      if (!fill(12 + len + 4)) {
        onProblem({ offset: base + pos, message: `record ${index}: truncated (the file ends inside it; ${len} bytes announced)` });
        stopped = true;
        break;
      }
      const start = pos + 12;
      const end = start + len;
      if (maskCrc(crc32c(buf, start, end)) !== view.getUint32(end, true)) {
        onProblem({ offset: base + pos, message: `record ${index}: data checksum mismatch; record skipped` });
      } else {
        onRecord(buf, start, end, index, view);
        records++;
      }
      index++;
      pos = end + 4;
    }
    if (!stopped && eof && filled > pos) onProblem({ offset: base + pos, message: `record ${index}: truncated (the file ends inside its header)` });
    return { records, bytes: base + filled };
  } finally {
    closeSync(fd);
  }

  /** Moves `pos` to the next offset holding a header whose length CRC checks out. */
  function resync(): boolean {
    pos++;
    while (fill(12)) {
      if (view.getUint32(pos + 4, true) === 0 && view.getUint32(pos, true) <= MAX_RECORD && maskCrc(crc32c(buf, pos, pos + 8)) === view.getUint32(pos + 8, true)) {
        return true;
      }
      pos++;
    }
    return false;
  }
}
