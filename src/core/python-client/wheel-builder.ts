import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { LooplineError } from '../errors.ts';

/**
 * Builds the pure-Python wheel of the client (`loopline-VERSION-py3-none-any.whl`) with no build
 * backend and no network: a wheel is a zip with the module, METADATA, WHEEL and RECORD.
 */
export function pythonClientVersion(clientDir: string): string {
  const source = readFileSync(join(clientDir, 'loopline.py'), 'utf8');
  const m = /^__version__\s*=\s*["']([^"']+)["']/m.exec(source);
  if (!m) throw new LooplineError('INVALID_STATE', `No __version__ in ${join(clientDir, 'loopline.py')}: the wheel needs one.`);
  return m[1]!;
}

export function buildPythonClientWheel(clientDir: string, outDir: string): string {
  const version = pythonClientVersion(clientDir);
  const info = `loopline-${version}.dist-info`;
  const readme = readOptional(join(clientDir, 'README.md'));
  const files: Array<[string, Buffer]> = [
    ['loopline.py', readFileSync(join(clientDir, 'loopline.py'))],
    [
      `${info}/METADATA`,
      Buffer.from(
        [
          'Metadata-Version: 2.1',
          'Name: loopline',
          `Version: ${version}`,
          'Summary: Loopline tracking client: log metrics, params and artifacts to Loopline or any MLflow-compatible server (standard library only)',
          'License: MIT',
          'Requires-Python: >=3.8',
          'Description-Content-Type: text/markdown',
          '',
          readme,
        ].join('\n'),
      ),
    ],
    [`${info}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: loopline-wheel-builder\nRoot-Is-Purelib: true\nTag: py3-none-any\n')],
    [`${info}/top_level.txt`, Buffer.from('loopline\n')],
  ];
  const record = files.map(([name, data]) => `${name},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`);
  record.push(`${info}/RECORD,,`);
  files.push([`${info}/RECORD`, Buffer.from(record.join('\n') + '\n')]);
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `loopline-${version}-py3-none-any.whl`);
  writeFileSync(out, zip(files));
  return out;
}

function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A minimal zip writer (deflate, fixed timestamp so the same sources give the same wheel). */
function zip(entries: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = 0; // 00:00:00
  const dosDate = ((2020 - 1980) << 9) | (1 << 5) | 1; // 2020-01-01
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix, spec 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
