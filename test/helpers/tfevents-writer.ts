import { crc32c, maskCrc } from '../../src/core/importers/crc32c.ts';

/** Encodes TensorBoard scalar events the way `SummaryWriter` does (simple_value), with TFRecord framing. */
export function scalarEventRecord(wallTime: number, step: number, tag: string, value: number): Buffer {
  const tagBytes = Buffer.from(tag, 'utf8');
  const val = Buffer.concat([Buffer.from([0x0a]), varint(tagBytes.length), tagBytes, Buffer.from([0x15]), f32(value)]);
  const summary = Buffer.concat([Buffer.from([0x0a]), varint(val.length), val]);
  const event = Buffer.concat([Buffer.from([0x09]), f64(wallTime), Buffer.from([0x10]), varint(step), Buffer.from([0x2a]), varint(summary.length), summary]);
  return frame(event);
}

export function fileVersionRecord(wallTime: number): Buffer {
  const v = Buffer.from('brain.Event:2');
  return frame(Buffer.concat([Buffer.from([0x09]), f64(wallTime), Buffer.from([0x1a]), varint(v.length), v]));
}

export function frame(data: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeUInt32LE(data.length, 0);
  const out = Buffer.alloc(12 + data.length + 4);
  len.copy(out, 0);
  out.writeUInt32LE(maskCrc(crc32c(len)), 8);
  data.copy(out, 12);
  out.writeUInt32LE(maskCrc(crc32c(data)), 12 + data.length);
  return out;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function f32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return b;
}

function f64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
}

/** Byte offsets of each record in a TFRecord file (for tests that damage one). */
export function recordOffsets(file: Buffer): number[] {
  const out: number[] = [];
  for (let pos = 0; pos + 12 <= file.length; pos += 12 + file.readUInt32LE(pos) + 4) out.push(pos);
  return out;
}
