import { ProtoReader, WIRE_FIXED32, WIRE_LEN } from './protobuf-reader.ts';

let shared: { buf: Uint8Array; view: DataView } | undefined;

/** What one `Event` record holds that an import cares about. */
export interface DecodedEvent {
  wallTime: number;
  step: number;
  scalars: Array<{ tag: string; value: number }>;
  /** Summaries or records that are not scalars, by kind (histograms, images, graphs, …). */
  other: string[];
  hparams?: HParamsData;
}

export interface HParamsData {
  params?: Array<[string, string]>;
  metricTags?: string[];
  /** 1 success, 2 failure, 3 running (the plugin's Status enum). */
  endStatus?: number;
  endTime?: number;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;

export function decodeEvent(buf: Uint8Array, start: number, end: number): DecodedEvent {
  const ev: DecodedEvent = { wallTime: 0, step: 0, scalars: [], other: [] };
  // One DataView per buffer, not per record: the reader's window is reused for a whole file.
  if (shared?.buf !== buf) shared = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) };
  const r = new ProtoReader(buf, start, end, shared.view);
  while (r.next()) {
    switch (r.field) {
      case 1:
        ev.wallTime = r.double();
        break;
      case 2:
        ev.step = r.varint();
        break;
      case 5:
        decodeSummary(r.sub(), ev);
        break;
      case 4:
      case 9:
        ev.other.push('graphs');
        r.skip();
        break;
      case 8:
        ev.other.push('run metadata');
        r.skip();
        break;
      default:
        r.skip(); // file_version, log_message, session_log
    }
  }
  return ev;
}

function decodeSummary(r: ProtoReader, ev: DecodedEvent): void {
  while (r.next()) {
    if (r.field === 1 && r.wire === WIRE_LEN) decodeValue(r.sub(), ev);
    else r.skip();
  }
}

function decodeValue(r: ProtoReader, ev: DecodedEvent): void {
  let tag = '';
  let simple: number | undefined;
  let plugin = '';
  let pluginContent: [number, number] | undefined;
  let tensor: ProtoReader | undefined;
  let kind: string | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1:
        tag = r.string();
        break;
      case 2:
        simple = r.float();
        break;
      case 9: {
        const m = r.sub();
        while (m.next()) {
          if (m.field === 1) {
            const pd = m.sub();
            while (pd.next()) {
              if (pd.field === 1) plugin = pd.string();
              else if (pd.field === 2) pluginContent = pd.bytes();
              else pd.skip();
            }
          } else m.skip();
        }
        break;
      }
      case 8:
        tensor = r.sub();
        break;
      case 3:
      case 5:
        kind = 'histograms';
        r.skip();
        break;
      case 4:
        kind = 'images';
        r.skip();
        break;
      case 6:
        kind = 'audio';
        r.skip();
        break;
      default:
        r.skip();
    }
  }
  if (plugin === 'hparams') {
    if (pluginContent) ev.hparams = decodeHParams(r.slice(pluginContent[0], pluginContent[1]), ev.hparams ?? {});
    return;
  }
  if (simple !== undefined) {
    ev.scalars.push({ tag, value: simple });
    return;
  }
  if (tensor) {
    const v = scalarOfTensor(tensor);
    if (v !== undefined) ev.scalars.push({ tag, value: v });
    else ev.other.push(plugin ? `${plugin} tensors` : 'tensors');
    return;
  }
  if (kind) ev.other.push(kind);
}

/** A float or double tensor with exactly one element (TF2 writes scalars this way). */
function scalarOfTensor(r: ProtoReader): number | undefined {
  let dtype = 0;
  let elements = 1;
  const values: number[] = [];
  let content: [number, number] | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1:
        dtype = r.varint();
        break;
      case 2: {
        const shape = r.sub();
        while (shape.next()) {
          if (shape.field === 2) {
            const dim = shape.sub();
            while (dim.next()) {
              if (dim.field === 1) elements *= dim.varint();
              else dim.skip();
            }
          } else shape.skip();
        }
        break;
      }
      case 4:
        content = r.bytes();
        break;
      case 5:
        if (r.wire === WIRE_FIXED32) values.push(r.float());
        else {
          const p = r.sub();
          while (p.pos < p.end) values.push(p.float());
        }
        break;
      case 6:
        if (r.wire === WIRE_LEN) {
          const p = r.sub();
          while (p.pos < p.end) values.push(p.double());
        } else values.push(r.double());
        break;
      default:
        r.skip();
    }
  }
  if (elements !== 1 || (dtype !== DT_FLOAT && dtype !== DT_DOUBLE)) return undefined;
  if (content) {
    const bytes = content[1] - content[0];
    if (dtype === DT_FLOAT && bytes === 4) return r.view.getFloat32(content[0], true);
    if (dtype === DT_DOUBLE && bytes === 8) return r.view.getFloat64(content[0], true);
    return undefined;
  }
  return values.length === 1 ? values[0] : undefined;
}

/** The hparams plugin's HParamsPluginData: experiment (metric infos), session start and end. */
function decodeHParams(r: ProtoReader, into: HParamsData): HParamsData {
  while (r.next()) {
    if (r.field === 2 && r.wire === WIRE_LEN) {
      const exp = r.sub();
      while (exp.next()) {
        if (exp.field === 5) {
          const info = exp.sub();
          while (info.next()) {
            if (info.field === 1) {
              const name = info.sub();
              let group = '';
              let tag = '';
              while (name.next()) {
                if (name.field === 1) group = name.string();
                else if (name.field === 2) tag = name.string();
                else name.skip();
              }
              (into.metricTags ??= []).push(group ? `${group}/${tag}` : tag);
            } else info.skip();
          }
        } else exp.skip();
      }
    } else if (r.field === 3 && r.wire === WIRE_LEN) {
      const start = r.sub();
      while (start.next()) {
        if (start.field === 1) {
          const entry = start.sub();
          let key = '';
          let value = '';
          while (entry.next()) {
            if (entry.field === 1) key = entry.string();
            else if (entry.field === 2) value = protobufValueText(entry.sub());
            else entry.skip();
          }
          (into.params ??= []).push([key, value]);
        } else start.skip();
      }
    } else if (r.field === 4 && r.wire === WIRE_LEN) {
      const end = r.sub();
      while (end.next()) {
        if (end.field === 1) into.endStatus = end.varint();
        else if (end.field === 2) into.endTime = end.double();
        else end.skip();
      }
    } else r.skip();
  }
  return into;
}

/** google.protobuf.Value as text: number, string or bool (what hparams hold). */
function protobufValueText(r: ProtoReader): string {
  let out = '';
  while (r.next()) {
    if (r.field === 2) out = String(r.double());
    else if (r.field === 3) out = r.string();
    else if (r.field === 4) out = r.varint() ? 'True' : 'False';
    else if (r.field === 1) (out = 'None'), r.skip();
    else r.skip();
  }
  return out;
}

/** One event of the common shape, as `decodeSimpleScalars` leaves it (reused between calls). */
export interface SimpleScalars {
  wallTime: number;
  step: number;
  count: number;
  tags: string[];
  /** A number per distinct tag, the same for the whole import: callers index by it instead of hashing the tag. */
  tagIds: number[];
  values: number[];
}

const simple: SimpleScalars = { wallTime: 0, step: 0, count: 0, tags: [], tagIds: [], values: [] };

/**
 * The common case without allocating: an Event holding only wall_time, step and a summary of
 * `simple_value` scalars (what PyTorch's SummaryWriter and TF1 write for every scalar), which is
 * nearly every record of a big event file. Anything else, or anything malformed, returns
 * undefined and is left to `decodeEvent`. The result is valid until the next call.
 */
export function decodeSimpleScalars(buf: Uint8Array, view: DataView, start: number, end: number): SimpleScalars | undefined {
  let pos = start;
  let summaryStart = -1;
  let summaryEnd = -1;
  simple.wallTime = 0;
  simple.step = 0;
  simple.count = 0;
  while (pos < end) {
    const key = buf[pos++]!;
    if (key === 0x09) {
      // 1: wall_time, double
      if (pos + 8 > end) return undefined;
      simple.wallTime = view.getFloat64(pos, true);
      pos += 8;
    } else if (key === 0x10) {
      // 2: step, int64 varint; a negative one (10 bytes) goes the general way
      let v = 0;
      let mul = 1;
      for (let i = 0; ; i++) {
        if (pos >= end || i === 8) return undefined;
        const b = buf[pos++]!;
        v += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 128;
      }
      simple.step = v;
    } else if (key === 0x2a && summaryStart < 0) {
      // 5: summary
      const len = buf[pos++]!;
      if (len >= 0x80) {
        const len2 = buf[pos++]!;
        if (len2 >= 0x80) return undefined;
        summaryStart = pos;
        summaryEnd = pos + (len & 0x7f) + len2 * 128;
      } else {
        summaryStart = pos;
        summaryEnd = pos + len;
      }
      if (summaryEnd > end) return undefined;
      pos = summaryEnd;
    } else return undefined;
  }
  if (summaryStart < 0) return undefined;
  for (pos = summaryStart; pos < summaryEnd; ) {
    // Summary.value (1): { tag (1): string, simple_value (2): float }, nothing else
    if (buf[pos++] !== 0x0a) return undefined;
    const len = buf[pos++]!;
    if (len >= 0x80) return undefined;
    const valueEnd = pos + len;
    if (valueEnd > summaryEnd) return undefined;
    let tag: TagEntry | undefined;
    let value: number | undefined;
    while (pos < valueEnd) {
      const key = buf[pos++]!;
      if (key === 0x0a && tag === undefined) {
        const n = buf[pos++]!;
        if (n >= 0x80 || pos + n > valueEnd) return undefined;
        tag = tags.get(buf, pos, pos + n);
        pos += n;
      } else if (key === 0x15 && value === undefined) {
        if (pos + 4 > valueEnd) return undefined;
        value = view.getFloat32(pos, true);
        pos += 4;
      } else return undefined;
    }
    if (tag === undefined || value === undefined) return undefined;
    simple.tags[simple.count] = tag.text;
    simple.tagIds[simple.count] = tag.id;
    simple.values[simple.count++] = value;
  }
  return simple.count > 0 ? simple : undefined;
}

/**
 * Tag strings by their bytes: a file repeats a handful of tags a million times, and comparing a
 * few bytes is much cheaper than decoding UTF-8 into a new string each time.
 */
interface TagEntry {
  bytes: Uint8Array;
  text: string;
  id: number;
}

class TagStrings {
  private readonly byHash = new Map<number, TagEntry[]>();
  private nextId = 0;

  /** The last entry seen per (length, first byte, last byte) slot: checked before hashing. */
  private readonly recent: Array<TagEntry | undefined> = new Array<TagEntry | undefined>(64).fill(undefined);

  get(buf: Uint8Array, start: number, end: number): TagEntry {
    const len = end - start;
    const slot = len === 0 ? 0 : (len * 7 + buf[start]! * 3 + buf[end - 1]!) & 63;
    const r = this.recent[slot];
    if (r && r.bytes.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (r.bytes[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return r;
    }
    const e = this.lookup(buf, start, end);
    this.recent[slot] = e;
    return e;
  }

  private lookup(buf: Uint8Array, start: number, end: number): TagEntry {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let list = this.byHash.get(h);
    if (list) {
      outer: for (const e of list) {
        if (e.bytes.length !== end - start) continue;
        for (let i = 0; i < e.bytes.length; i++) if (e.bytes[i] !== buf[start + i]) continue outer;
        return e;
      }
    } else {
      if (this.byHash.size > 4096) this.byHash.clear(); // a file with endless distinct tags: stay small
      this.byHash.set(h, (list = []));
    }
    const bytes = buf.slice(start, end);
    const entry = { bytes, text: decoder.decode(bytes), id: this.nextId++ };
    list.push(entry);
    return entry;
  }
}

const decoder = new TextDecoder('utf-8');
const tags = new TagStrings();
