import { writeFileSync } from 'node:fs';
import type { ProfileOptions } from '../../core/monitoring/data-profiler.ts';
import { datasetDriftReport, type DriftReport } from '../../core/monitoring/drift-report.ts';
import { monitoringSettings } from '../../core/monitoring/monitoring-settings.ts';
import { profileOrSaved } from '../../core/monitoring/profile-file.ts';
import { loadProjectConfig } from '../../core/project/project-config.ts';
import { profileFile } from '../../core/monitoring/data-profiler.ts';
import type { DataProfile } from '../../core/monitoring/profile-types.ts';
import { parseArgs, option, UsageError } from '../args.ts';
import { formatNumber, table, toJson } from '../format.ts';

/** Progress on stderr while a large file is read (only on a terminal, so pipes stay clean). */
function progressOptions(label: string): ProfileOptions {
  if (!process.stderr.isTTY) return {};
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 200 && p.bytesRead < p.totalBytes) return;
      last = now;
      process.stderr.write(`\r${label}: ${Math.floor((p.bytesRead / Math.max(1, p.totalBytes)) * 100)}% (${p.rows.toLocaleString('en-US')} rows)`);
      if (p.bytesRead >= p.totalBytes) process.stderr.write('\n');
    },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function profileCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['out'] });
  const file = args.positionals[0];
  if (!file || args.positionals.length > 1) throw new UsageError('Give one data file: loopline profile FILE [--json] [--out PROFILE.json] (CSV, TSV, JSON Lines or Parquet).');
  const profile = await profileFile(file, progressOptions(file));
  const out = option(args, 'out');
  if (out) writeFileSync(out, JSON.stringify(profile));
  if (args.flags.has('json')) {
    console.log(toJson(profile));
    return 0;
  }
  console.log(renderProfile(profile));
  if (out) console.log(`\nProfile saved to ${out} (use it as the reference of loopline drift).`);
  return 0;
}

function renderProfile(p: DataProfile): string {
  const lines = [
    `${p.source.name}  ${p.source.format.toUpperCase()}  ${p.rows.toLocaleString('en-US')} rows x ${p.columns.length} columns  ${p.source.bytes.toLocaleString('en-US')} bytes`,
    `sha256 ${p.source.sha256}`,
    '',
    table(
      ['COLUMN', 'TYPE', 'MISSING', 'DISTINCT', 'MEAN', 'STD', 'MIN', 'MEDIAN', 'MAX', 'TOP'],
      p.columns.map((c) => {
        const n = c.numeric;
        const q = (level: number) => n?.quantiles.find((x) => x.p === level)?.value;
        const top = c.top?.[0] && c.count ? `${c.top[0].value} (${pct(c.top[0].count / c.count)})` : '';
        return [
          c.name,
          c.type,
          c.missing ? `${c.missing} (${pct(c.missingRate)})` : '0',
          `${c.distinct}${c.distinctCapped ? '+' : ''}`,
          n ? formatNumber(n.mean) : '',
          n ? formatNumber(n.std) : '',
          n ? formatNumber(n.min) : '',
          n ? formatNumber(q(0.5) ?? NaN) : '',
          n ? formatNumber(n.max) : '',
          c.type === 'numeric' ? '' : top.replace(/[\r\n\t]/g, ' ').slice(0, 40),
        ];
      }),
    ),
  ];
  if (p.correlation.columns.length > 1) {
    const strong: string[] = [];
    const cols = p.correlation.columns;
    for (let a = 0; a < cols.length; a++) for (let b = a + 1; b < cols.length; b++) {
      const r = p.correlation.values[a]![b];
      if (r !== null && r !== undefined && Math.abs(r) >= 0.7) strong.push(`${cols[a]} ~ ${cols[b]}: r = ${r.toFixed(2)}`);
    }
    lines.push('', strong.length ? `Strong correlations (|r| >= 0.7):\n  ${strong.join('\n  ')}` : 'No strong correlations between numeric columns (|r| >= 0.7).');
  }
  if (p.rows > p.sampleRows) lines.push('', `Quantiles and correlations from a uniform sample of ${p.sampleRows.toLocaleString('en-US')} rows (rank error <= 1.15% at 99% confidence); counts, means and histograms are exact.`);
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export async function driftCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: [] });
  const [refPath, curPath] = args.positionals;
  if (!refPath || !curPath || args.positionals.length > 2) {
    throw new UsageError('Give a reference and the current data: loopline drift REFERENCE CURRENT [--json]. REFERENCE is a data file or a saved profile (loopline profile FILE --out ref.json).');
  }
  // Thresholds from loopline.yaml (monitoring:) in this folder; checked before any file is read.
  const settings = monitoringSettings(loadProjectConfig(process.cwd()));
  const reference = await profileOrSaved(refPath, progressOptions(refPath));
  const current = await profileOrSaved(curPath, progressOptions(curPath));
  const report = datasetDriftReport(reference, current, settings);
  if (args.flags.has('json')) {
    console.log(toJson(report));
    return 0;
  }
  console.log(renderDrift(report));
  return 0;
}

function renderDrift(r: DriftReport): string {
  const value = (f: DriftReport['features'][number]) => (f.pValue !== undefined ? (f.pValue === null ? '-' : `p = ${formatNumber(f.pValue)}`) : f.distance === null || f.distance === undefined ? '-' : formatNumber(f.distance));
  const lines = [
    `Reference ${r.reference.name} (${r.reference.rows.toLocaleString('en-US')} rows)  vs  current ${r.current.name} (${r.current.rows.toLocaleString('en-US')} rows)`,
    '',
    table(
      ['FEATURE', 'TEST', 'STATISTIC', 'P-VALUE/DISTANCE', 'THRESHOLD', 'SAMPLE', 'PSI', 'STATUS'],
      r.features.map((f) => [
        f.name,
        f.test,
        f.statistic === null ? '-' : formatNumber(f.statistic),
        value(f),
        f.pValue !== undefined ? `p < ${f.threshold}` : `>= ${f.threshold}`,
        String(f.sampleSize),
        f.psi.value === null ? '-' : `${formatNumber(f.psi.value)}${f.psi.level && f.psi.level !== 'none' ? ` (${f.psi.level})` : ''}`,
        f.status === 'insufficient-data' ? `not enough data${f.neededMore ? ` (${f.neededMore} more)` : ''}` : f.status,
      ]),
    ),
  ];
  for (const s of r.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  lines.push(
    '',
    r.status === 'insufficient-data'
      ? 'Dataset: not enough data yet to test any feature.'
      : `Dataset: ${r.drifted ? 'DRIFTED' : 'no drift'} (${r.driftedCount} of ${r.testedCount} features drifted, ${pct(r.share)}; drifted at >= ${pct(r.shareThreshold)})`,
  );
  return lines.join('\n');
}
