import type { ReadChannel } from '../../core/store/store-reader.ts';
import type { SeriesMsg, SeriesRequestMsg, XAxisMode } from '../../protocol/common.ts';
import type { SeriesFeed } from './series-feed.ts';

/**
 * The Compare panel's first chart, read as soon as the page said how wide its charts are (with
 * `ready`), so that the read runs while the page takes `init` and builds its charts; the chart's
 * request then takes this answer instead of starting its own read. One at a time; a request that
 * differs (another width, axis or a zoom) reads as usual.
 */
export class SeriesPrefetch {
  private pending: { feed: SeriesFeed; key: string; xAxis: XAxisMode; buckets: number; answer: Promise<SeriesMsg[]> } | null = null;

  start(feed: SeriesFeed, reads: ReadChannel, runIds: string[], key: string, xAxis: XAxisMode, buckets: number): void {
    const answer = feed.answerOffThread(reads, runIds, key, xAxis, buckets, null);
    // Awaited only if a request takes it; a cancelled or failed read must not go unhandled.
    answer.catch(() => undefined);
    this.pending = { feed, key, xAxis, buckets, answer };
  }

  /** The answer read ahead for this request (of this feed), once; undefined when it was for another. */
  take(feed: SeriesFeed, req: Pick<SeriesRequestMsg, 'key' | 'xAxis' | 'buckets' | 'range'>): Promise<SeriesMsg[]> | undefined {
    const p = this.pending;
    this.pending = null;
    if (!p || p.feed !== feed || req.range !== null || p.key !== req.key || p.xAxis !== req.xAxis || p.buckets !== req.buckets) return undefined;
    return p.answer;
  }

  clear(): void {
    this.pending = null;
  }
}
