/** Default column widths of the Experiment Table, from the header and a sample of the values. */
import type { MetricAggregate } from '../../src/protocol/table-protocol.ts';
import type { ColumnDef, TableData } from './table-data.ts';

const CHAR_PX = 7.2;
const PADDING_PX = 28;
const SAMPLE_ROWS = 300;

const clamp = (v: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, v)));

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
    case 'param':
      return clamp(Math.max(col.label.length, longestSample(data, col, agg)) * CHAR_PX + PADDING_PX + 12, 84, 240);
    case 'metric':
      // Room for the aggregate button beside the label.
      return clamp(Math.max(col.label.length * CHAR_PX + 44, longestSample(data, col, agg) * CHAR_PX) + PADDING_PX + 12, 110, 260);
  }
}
