/**
 * Just enough protobuf wire-format decoding to read TensorBoard events and W&B records without
 * generated code: walk fields, read varints, fixed-width numbers and length-delimited slices.
 */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export class ProtoError extends Error {}

const decoder = new TextDecoder('utf-8');

export class ProtoReader {
  pos: number;
  readonly end: number;
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Set by `next()`: the current field number and wire type. */
  field = 0;
  wire = 0;

  /** Sub-messages share their parent's DataView: making one per message dominated decoding. */
  constructor(buf: Uint8Array, start = 0, end = buf.length, view?: DataView) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Advances to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const key = this.varint();
    this.field = Math.floor(key / 8);
    this.wire = key & 7;
    return true;
  }

  /** Varints up to 2^53 exactly; larger ones (rare: negative int64) lose low bits but not sign. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        // A 10-byte varint is a negative int64 in two's complement.
        return i === 9 || result >= 2 ** 63 ? result - 2 ** 64 : result;
      }
      mul *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Start and end of a length-delimited field's bytes; the reader moves past them. */
  bytes(): [number, number] {
    const len = this.varint();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  string(): string {
    const [s, e] = this.bytes();
    return Buffer.isBuffer(this.buf) ? this.buf.toString('utf8', s, e) : decoder.decode(this.buf.subarray(s, e));
  }

  sub(): ProtoReader {
    const [s, e] = this.bytes();
    return new ProtoReader(this.buf, s, e, this.view);
  }

  /** A reader over a slice of the same buffer (e.g. bytes holding an embedded message). */
  slice(start: number, end: number): ProtoReader {
    return new ProtoReader(this.buf, start, end, this.view);
  }

  skip(): void {
    switch (this.wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`unsupported wire type ${this.wire}`);
    }
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtoError('field runs past the end of its message');
  }
}
