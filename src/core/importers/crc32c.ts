/**
 * CRC-32C (Castagnoli), as TFRecord and LevelDB logs use it, with slicing-by-8 tables: the
 * checksum is the floor of an event-file import, so it has to run near memory speed.
 */
const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  t.push(t0);
  for (let i = 1; i < 8; i++) {
    const prev = t[i - 1]!;
    const ti = new Uint32Array(256);
    for (let n = 0; n < 256; n++) ti[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    t.push(ti);
  }
  return t;
})();

export function crc32c(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~seed >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) ^ crc;
    crc =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[buf[i + 4]!]! ^
      t2[buf[i + 5]!]! ^
      t1[buf[i + 6]!]! ^
      t0[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TFRecord's and LevelDB's masking, so a CRC of data that itself holds CRCs stays well spread. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
