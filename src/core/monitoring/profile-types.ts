/**
 * A data profile: a plain JSON object describing a table (a model version's reference profile is
 * one of these). Numbers are finite or null; nothing here needs more than JSON.parse to read.
 */
import type { DataFormat } from './data-format.ts';

export const PROFILE_SCHEMA = 'loopline.data-profile/1';

export type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'text';

/** What identifies the data: the same bytes give the same fingerprint. */
export interface DataFingerprint {
  name: string;
  format: DataFormat;
  bytes: number;
  sha256: string;
  rows: number;
}

export interface CategoryCount {
  value: string;
  count: number;
}

export interface NumericStats {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (ddof 0, as numpy and Evidently). */
  std: number;
  zeros: number;
  /** Quantiles at `QUANTILE_LEVELS`, from the row sample (see `sampleRows`; exact when all rows fit). */
  quantiles: Array<{ p: number; value: number }>;
  /** Equal-width bins from min to max; counts are exact over all rows. */
  histogram: { edges: number[]; counts: number[] };
}

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Non-missing values. */
  count: number;
  missing: number;
  missingRate: number;
  /** Distinct non-missing values (a lower bound when `distinctCapped`). */
  distinct: number;
  distinctCapped: boolean;
  numeric?: NumericStats;
  /** Most frequent values (top-k) and the rest as `otherCount`; for categorical, boolean and text. */
  top?: CategoryCount[];
  otherCount?: number;
  text?: { minLength: number; maxLength: number; meanLength: number };
  /**
   * Non-missing values of this column in a uniform row sample (numbers for numeric columns,
   * strings otherwise): what drift tests use when this profile is the reference.
   */
  sample: Array<number | string>;
}

export interface CorrelationMatrix {
  columns: string[];
  /** Pearson's r over rows of the sample where both are present; null where undefined (constant column). */
  values: Array<Array<number | null>>;
}

export interface DataProfile {
  schema: typeof PROFILE_SCHEMA;
  source: DataFingerprint;
  createdAt: string;
  rows: number;
  /** Rows in the uniform row sample behind quantiles, correlations and `sample`. */
  sampleRows: number;
  columns: ColumnProfile[];
  /**
   * A version's reference profile only: its predictions on the validation data (`loopline.yaml`
   * `data.validation`), the reference for prediction drift; absent, the training labels are used.
   */
  predictions?: { source: string; column: ColumnProfile };
  correlation: CorrelationMatrix;
  warnings: string[];
}
