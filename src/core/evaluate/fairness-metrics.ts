import type { MaybeNumber } from './evaluation-types.ts';
import { indicesByGroup } from './slice-groups.ts';

export interface GroupRates {
  group: string;
  n: number;
  /** P(prediction = positive | group). */
  selectionRate: number;
  /** P(prediction = positive | group, label = positive); null when the group has no positive labels. */
  truePositiveRate: MaybeNumber;
  /** P(prediction = positive | group, label ≠ positive); null when the group has no negative labels. */
  falsePositiveRate: MaybeNumber;
}

export interface FairnessReport {
  sensitiveColumn: string;
  positiveLabel: string;
  groups: GroupRates[];
  demographicParityDifference: number;
  truePositiveRateDifference: MaybeNumber;
  falsePositiveRateDifference: MaybeNumber;
  equalizedOddsDifference: MaybeNumber;
}

const spread = (values: MaybeNumber[]): MaybeNumber => {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length === 0 ? null : Math.max(...defined) - Math.min(...defined);
};

/**
 * Fairlearn's definitions (https://fairlearn.org/main/api_reference/generated/fairlearn.metrics.demographic_parity_difference.html
 * and …/fairlearn.metrics.equalized_odds_difference.html), with their default method='between_groups'
 * and agg='worst_case':
 * - demographic parity difference = largest minus smallest group selection rate E[h(X) | A=a];
 * - equalized odds difference = the greater of the true-positive-rate difference (largest minus smallest
 *   P[h(X)=1 | A=a, Y=1]) and the false-positive-rate difference (the same for Y=0).
 * Fairlearn returns NaN when a group lacks positives or negatives; we leave such a group out of that
 * rate's difference (its rate is null in `groups`) so one tiny group does not blank the whole number.
 */
export function fairnessMetrics(
  sensitiveColumn: string,
  groupLabels: string[],
  yTrue: string[],
  yPred: string[],
  positiveLabel: string,
): FairnessReport {
  const groups: GroupRates[] = [];
  for (const [group, idx] of indicesByGroup(groupLabels)) {
    let selected = 0;
    let pos = 0;
    let tp = 0;
    let neg = 0;
    let fp = 0;
    for (const i of idx) {
      const predictedPositive = yPred[i] === positiveLabel;
      if (predictedPositive) selected++;
      if (yTrue[i] === positiveLabel) {
        pos++;
        if (predictedPositive) tp++;
      } else {
        neg++;
        if (predictedPositive) fp++;
      }
    }
    groups.push({
      group,
      n: idx.length,
      selectionRate: selected / idx.length,
      truePositiveRate: pos ? tp / pos : null,
      falsePositiveRate: neg ? fp / neg : null,
    });
  }
  const tprDiff = spread(groups.map((g) => g.truePositiveRate));
  const fprDiff = spread(groups.map((g) => g.falsePositiveRate));
  return {
    sensitiveColumn,
    positiveLabel,
    groups,
    demographicParityDifference: spread(groups.map((g) => g.selectionRate))!,
    truePositiveRateDifference: tprDiff,
    falsePositiveRateDifference: fprDiff,
    equalizedOddsDifference: tprDiff === null && fprDiff === null ? null : Math.max(tprDiff ?? -Infinity, fprDiff ?? -Infinity),
  };
}
