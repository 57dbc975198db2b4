import { m4 } from '../../core/series/downsample.ts';
import { readSeries, type SeriesResult } from '../../core/series/series-reader.ts';
import { seriesPointReaders } from '../../core/store/series-queries.ts';
import type { ReadChannel } from '../../core/store/store-reader.ts';
import type { RunStore } from '../../core/store/run-store.ts';
import type { SeriesMsg, StepRange, XAxisMode } from '../../protocol/common.ts';
import { toSeriesMsg } from './run-messages.ts';

/**
 * Answers a webview's series requests (downsampled in the extension, only the requested range)
 * and, for live runs, produces the points logged since the last answer, so charts append instead
 * of reloading.
 */
export class SeriesFeed {
  /** (runId, key) -> last step sent, and the bucket count the chart asked for. */
  private readonly sent = new Map<string, { step: number; buckets: number; xAxis: XAxisMode }>();
  private readonly store: RunStore;

  constructor(store: RunStore) {
    this.store = store;
  }

  answer(runIds: string[], key: string, xAxis: XAxisMode, buckets: number, range: StepRange | null): SeriesMsg[] {
    const read = seriesPointReaders(this.store);
    const results = runIds.map((runId) => readSeries(this.store, { runId, key, buckets, byTime: xAxis !== 'step', ...(range ? { minStep: range.minStep, maxStep: range.maxStep } : {}) }, read));
    return this.toMessages(runIds, key, xAxis, buckets, range, results);
  }

  /** The same, read in the store's read worker (off this thread); rejects with ReadCancelled when cancelled. */
  async answerOffThread(reads: ReadChannel, runIds: string[], key: string, xAxis: XAxisMode, buckets: number, range: StepRange | null): Promise<SeriesMsg[]> {
    const results = await reads.series(runIds, key, { byTime: xAxis !== 'step', buckets, ...(range ? { minStep: range.minStep, maxStep: range.maxStep } : {}) });
    return this.toMessages(runIds, key, xAxis, buckets, range, results);
  }

  private toMessages(runIds: string[], key: string, xAxis: XAxisMode, buckets: number, range: StepRange | null, results: SeriesResult[]): SeriesMsg[] {
    return runIds.map((runId, i) => {
      const r = results[i]!;
      // Only full views are extended live; a zoomed window stays what the user picked.
      if (!range) this.sent.set(`${runId}\0${key}`, { step: r.sourcePoints ? r.maxStep : -Infinity, buckets, xAxis });
      return toSeriesMsg(runId, key, r);
    });
  }

  /** New points of these runs since the last answer, per key the webview has loaded. */
  tails(runIds: string[]): Array<{ key: string; series: SeriesMsg[] }> {
    const byKey = new Map<string, SeriesMsg[]>();
    for (const [id, sent] of this.sent) {
      const [runId, key] = id.split('\0') as [string, string];
      if (!runIds.includes(runId)) continue;
      const from = Number.isFinite(sent.step) ? sent.step + 1 : undefined;
      const r = readSeries(this.store, { runId, key, buckets: Number.MAX_SAFE_INTEGER, ...(from !== undefined ? { minStep: from } : {}), maxStep: Number.MAX_SAFE_INTEGER });
      if (r.sourcePoints === 0) continue;
      // A burst (10,000 points a second) is downsampled like everything else.
      const d = m4(r, sent.buckets, sent.xAxis !== 'step');
      sent.step = r.steps[r.steps.length - 1] ?? sent.step;
      const msg = toSeriesMsg(runId, key, { ...r, ...d, downsampled: d.downsampled });
      (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(msg);
    }
    return [...byKey].map(([key, series]) => ({ key, series }));
  }
}
