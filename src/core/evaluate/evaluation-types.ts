/** Shapes shared by the evaluation core. Everything here is plain data: a report survives JSON.stringify. */

/** One input row as read from a CSV: column name to raw value. */
export type DataRow = Record<string, string | number | boolean | null | undefined>;

export type Prediction = string | number;

/**
 * What a model returns for a batch of rows: the scoring protocol's `{"predictions": [...]}` with the
 * documented optional `probabilities` (one row per input, columns in `classes` order; when `classes`
 * is absent the columns follow the sorted class labels, like scikit-learn's `classes_`).
 */
export interface ModelOutput {
  predictions: Prediction[];
  probabilities?: number[][];
  classes?: string[];
}

export type PredictFn = (rows: DataRow[]) => Promise<ModelOutput>;

export type EvaluationTask = 'classification' | 'regression';

/** Numbers that can be undefined (a class with no support, R² of a constant label) are null, never NaN. */
export type MaybeNumber = number | null;
