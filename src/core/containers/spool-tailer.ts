import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStore } from '../store/run-store.ts';
import { applyRecord } from '../tracking/spool-import.ts';
import type { Fields } from '../tracking/request-fields.ts';

/**
 * Imports what a containerised script's client writes to spool files in the mounted output folder,
 * as the files grow: the channel for metrics that needs no network (`--network none`), and the
 * fallback when HTTP fails. Read offsets are kept in a file beside the spool, so a launcher that
 * reattaches later continues where the last one stopped (nothing is imported twice, nothing lost).
 */
export class SpoolTailer {
  private readonly offsets: Record<string, number>;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  readonly problems: string[] = [];

  private readonly store: RunStore;
  private readonly spoolDir: string;
  private readonly offsetsFile: string;
  /** Maps a path inside the container (an artifact's copy in the spool) to this machine. */
  private readonly hostPath: (containerPath: string) => string;

  constructor(store: RunStore, spoolDir: string, offsetsFile: string, hostPath: (containerPath: string) => string) {
    this.store = store;
    this.spoolDir = spoolDir;
    this.offsetsFile = offsetsFile;
    this.hostPath = hostPath;
    this.offsets = existsSync(offsetsFile) ? (JSON.parse(readFileSync(offsetsFile, 'utf8')) as Record<string, number>) : {};
  }

  start(intervalMs = 250): void {
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Reads what is new; calls are serialised. */
  poll(): Promise<void> {
    this.busy = this.busy.then(() => this.readNew()).catch((err) => {
      this.problems.push(err instanceof Error ? err.message : String(err));
    });
    return this.busy;
  }

  /** Stops polling after one last read of everything written so far. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.poll();
  }

  private async readNew(): Promise<void> {
    if (!existsSync(this.spoolDir) || !this.store.db.open) return;
    for (const name of readdirSync(this.spoolDir).filter((n) => n.endsWith('.jsonl')).sort()) {
      const file = join(this.spoolDir, name);
      const from = this.offsets[name] ?? 0;
      const size = statSync(file).size;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, buf.length, from);
      } finally {
        closeSync(fd);
      }
      // Only whole lines: the writer may be in the middle of one.
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) continue;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const rec = JSON.parse(line) as Fields;
          if (rec.op === 'artifact' && typeof rec.source === 'string') rec.source = this.hostPath(rec.source);
          await applyRecord(this.store, rec);
        } catch (err) {
          this.problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      this.offsets[name] = from + end + 1;
      writeFileSync(this.offsetsFile, JSON.stringify(this.offsets));
    }
  }
}
