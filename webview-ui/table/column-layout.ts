/** Default column widths of the Experiment Table, from the header and a sample of the values. */
import type { MetricAggregate } from '../../src/protocol/table-protocol.ts';
import type { ColumnDef, TableData } from './table-data.ts';

const CHAR_PX = 7.2;
const PADDING_PX = 28;
const SAMPLE_ROWS = 300;
/** Default widths stop here; a longer header is resized by hand (its tooltip shows it whole). */
const MAX_DEFAULT_PX = 360;
export const MIN_COLUMN_PX = 48;
export const MAX_COLUMN_PX = 1200;

const clamp = (v: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, v)));
/** Sort button padding (16) + gap (4) + sort arrow (10) + slack. */
const HEADER_CHROME_PX = 34;
let measurer: CanvasRenderingContext2D | null | undefined;

/** The header label's width in its bold font, measured (cell text is estimated; labels must fit). */
function labelPx(col: ColumnDef): number {
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d');
    if (measurer) {
      const s = getComputedStyle(document.body);
      measurer.font = `600 ${s.fontSize} ${s.fontFamily}`;
    }
  }
  const text = measurer ? measurer.measureText(col.label).width : col.label.length * (CHAR_PX + 2);
  return Math.ceil(text) + HEADER_CHROME_PX - PADDING_PX;
}

function longestSample(data: TableData, col: ColumnDef, agg: MetricAggregate): number {
  let longest = 0;
  const n = Math.min(data.rowCount, SAMPLE_ROWS);
  for (let r = 0; r < n; r++) longest = Math.max(longest, (data.text(col, agg, r) ?? '').length);
  return longest;
}

export function columnWidth(data: TableData, col: ColumnDef, agg: MetricAggregate): number {
  switch (col.kind) {
    case 'name':
      return clamp(longestSample(data, col, agg) * CHAR_PX + PADDING_PX, 160, 340);
    case 'status':
      return 104;
    case 'start':
      return 140;
    case 'duration':
      return 104;
    // The header's label always fits (up to MAX_DEFAULT_PX; longer ones keep their tooltip and
    // the resize handle); the values are sampled.
    case 'param':
      return clamp(Math.max(labelPx(col), longestSample(data, col, agg) * CHAR_PX) + PADDING_PX, 84, MAX_DEFAULT_PX);
    case 'metric':
      return clamp(Math.max(labelPx(col), longestSample(data, col, agg) * CHAR_PX) + PADDING_PX, 110, MAX_DEFAULT_PX);
  }
}

export const clampColumnWidth = (w: number) => clamp(w, MIN_COLUMN_PX, MAX_COLUMN_PX);
