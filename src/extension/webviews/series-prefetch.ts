import type { ReadChannel } from '../../core/store/store-reader.ts';
import type { SeriesMsg, SeriesRequestMsg, XAxisMode } from '../../protocol/common.ts';
import { firstChartBuckets, type CompareInit, type FirstChartHint } from '../../protocol/compare-protocol.ts';
import type { SeriesFeed } from './series-feed.ts';

/**
 * The Compare panel's first chart, read before its chart asks: as the panel is created, at the
 * width its charts had last time (the answer goes out with `init`, posted as soon as it is in); or
 * when the page says how wide its charts are (with `ready`), so that the read runs while the page
 * builds its charts, and the chart's request takes this answer instead of starting its own read.
 * One at a time; a request that differs (another width, axis or a zoom) reads as usual.
 */
export class SeriesPrefetch {
  private pending: { feed: SeriesFeed; key: string; xAxis: XAxisMode; buckets: number; answer: Promise<SeriesMsg[]>; value?: SeriesMsg[] } | null = null;

  start(feed: SeriesFeed, reads: ReadChannel, runIds: string[], key: string, xAxis: XAxisMode, buckets: number): void {
    const answer = feed.answerOffThread(reads, runIds, key, xAxis, buckets, null);
    const pending: NonNullable<SeriesPrefetch['pending']> = { feed, key, xAxis, buckets, answer };
    // Awaited only if a request takes it; a cancelled or failed read must not go unhandled.
    answer.then((v) => (pending.value = v)).catch(() => undefined);
    this.pending = pending;
  }

  /** As the panel opens: the first chart of this init at the widths the last page's charts had. */
  startEarly(feed: SeriesFeed, reads: ReadChannel, runIds: string[], init: CompareInit, last: FirstChartHint): void {
    const first = firstChartRead(init, last);
    if (first) this.start(feed, reads, runIds, first.key, last.xAxis, first.buckets);
  }

  /**
   * The `init` to post for this page's hint: with the first chart's series when it was read as the
   * panel opened at this width and is in; else plain, and the chart's request then takes the read
   * under way. `then()`, called after posting, starts that read if it is not under way (after: it
   * would compete with init's sending).
   */
  initWithFirstChart(feed: SeriesFeed, reads: ReadChannel, runIds: string[], init: CompareInit, hint: FirstChartHint | undefined): { message: CompareInit; then(): void } {
    const first = hint ? firstChartRead(init, hint) : undefined;
    if (!first) return { message: init, then: () => undefined };
    const xAxis = hint!.xAxis;
    const series = this.takeIfDone(feed, first.key, xAxis, first.buckets);
    if (series) return { message: { ...init, firstSeries: { key: first.key, xAxis, buckets: first.buckets, series } }, then: () => undefined };
    return { message: init, then: () => this.readFirstChart(feed, reads, runIds, init, hint!) };
  }

  /**
   * Starts reading the first chart of `init` at `hint`'s width, unless that read is under way or
   * done, or `init` carried it already.
   */
  readFirstChart(feed: SeriesFeed, reads: ReadChannel, runIds: string[], init: CompareInit, hint: FirstChartHint): void {
    const first = firstChartRead(init, hint);
    if (!first) return;
    const sent = init.firstSeries;
    if (sent && sent.key === first.key && sent.xAxis === hint.xAxis && sent.buckets === first.buckets) return;
    if (this.isFor(feed, first.key, hint.xAxis, first.buckets)) return;
    // A read made as the panel opened, for another width or axis: the worker reads one thing at
    // a time, so it must not hold up the read wanted now. Nothing else is read on this channel yet.
    if (this.pending) reads.cancel();
    this.start(feed, reads, runIds, first.key, hint.xAxis, first.buckets);
  }

  /** The read under way or done, if any (the bench times it). */
  get current(): Promise<SeriesMsg[]> | undefined {
    return this.pending?.answer;
  }

  /** Whether the read under way (or done) is this one. */
  private isFor(feed: SeriesFeed, key: string, xAxis: XAxisMode, buckets: number): boolean {
    const p = this.pending;
    return p !== null && p.feed === feed && p.key === key && p.xAxis === xAxis && p.buckets === buckets;
  }

  /** This read's answer if it has already come (taken, once), else undefined: it can go out with `init`. */
  private takeIfDone(feed: SeriesFeed, key: string, xAxis: XAxisMode, buckets: number): SeriesMsg[] | undefined {
    const value = this.isFor(feed, key, xAxis, buckets) ? this.pending!.value : undefined;
    if (value) this.pending = null;
    return value;
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

/** The first chart's read for this init at this hint's widths: its metric and buckets, or undefined (none, or it is zoomed). Only the panel's grid is measured. */
export function firstChartRead(init: CompareInit, hint: FirstChartHint): { key: string; buckets: number } | undefined {
  const key = init.metricKeys[0];
  if (init.mode !== 'panel' || key === undefined || hint.zoomed.includes(key)) return undefined;
  const buckets = firstChartBuckets(hint, init.metricKeys.length);
  return buckets === undefined ? undefined : { key, buckets };
}
