import { mixColors, withAlpha } from './color-values.ts';

/**
 * Colours for canvases, read from the --vscode-* variables VS Code sets on the page; re-read when
 * the theme changes (VS Code changes the body class and the variables).
 */
export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface ThemePalette {
  kind: ThemeKind;
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  border: string;
  focus: string;
  fontFamily: string;
  /** charts red, blue, yellow, orange, green, purple. */
  series: string[];
}

export interface SeriesStyle {
  color: string;
  dash: number[];
}

const SERIES_VARS = ['red', 'blue', 'yellow', 'orange', 'green', 'purple'] as const;
const FALLBACK_SERIES = ['#f14c4c', '#3794ff', '#cca700', '#d18616', '#89d185', '#b180d7'];

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(): ThemeKind {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readPalette(): ThemePalette {
  const s = getComputedStyle(document.body);
  const kind = themeKind();
  const hc = kind.startsWith('high-contrast');
  const foreground = cssVar(s, '--vscode-charts-foreground', cssVar(s, '--vscode-foreground', kind === 'light' ? '#3b3b3b' : '#cccccc'));
  const lines = cssVar(s, '--vscode-charts-lines', withAlpha(foreground, 0.5));
  return {
    kind,
    foreground,
    muted: cssVar(s, '--vscode-descriptionForeground', foreground),
    grid: hc ? withAlpha(lines, 0.6) : withAlpha(lines, 0.35),
    background: cssVar(s, '--vscode-editor-background', kind === 'light' ? '#ffffff' : '#1f1f1f'),
    border: cssVar(s, '--vscode-contrastBorder', cssVar(s, '--vscode-widget-border', lines)),
    focus: cssVar(s, '--vscode-focusBorder', '#0078d4'),
    fontFamily: cssVar(s, '--vscode-font-family', 'sans-serif'),
    series: SERIES_VARS.map((name, i) => cssVar(s, `--vscode-charts-${name}`, FALLBACK_SERIES[i]!)),
  };
}

const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/**
 * The colour and dash of a run's colour slot: the six chart colours, then variations of them
 * (shifted towards the foreground, then the background) with a dash pattern, so runs stay
 * distinguishable beyond six and without relying on colour alone.
 */
export function seriesStyle(p: ThemePalette, colorIndex: number): SeriesStyle {
  const i = Math.max(0, Math.floor(colorIndex));
  const base = p.series[i % p.series.length]!;
  const round = Math.floor(i / p.series.length);
  const variant = round % 3;
  const color = variant === 0 ? base : variant === 1 ? mixColors(base, p.foreground, 0.35) : mixColors(base, p.background, 0.3);
  return { color, dash: DASHES[round % DASHES.length]! };
}

/** Calls `onChange` after VS Code switched theme (body class or the variables changed). */
export function watchTheme(onChange: () => void): () => void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
