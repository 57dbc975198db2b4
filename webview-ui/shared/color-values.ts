/** Parsing and mixing the colour strings VS Code themes use (#rgb, #rrggbb, #rrggbbaa, rgb(a)()). */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export function parseColor(text: string): Rgba | undefined {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(s);
  if (m) {
    const h = m[1]!;
    const ch = (i: number) => parseInt(h[i]! + h[i]!, 16);
    return { r: ch(0), g: ch(1), b: ch(2), a: h.length === 4 ? ch(3) / 255 : 1 };
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) {
    const h = m[1]!;
    return { r: parseInt(h.slice(0, 2), 16), g: parseInt(h.slice(2, 4), 16), b: parseInt(h.slice(4, 6), 16), a: m[2] ? parseInt(m[2], 16) / 255 : 1 };
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: +m[1]!, g: +m[2]!, b: +m[3]!, a: alpha };
  }
  return undefined;
}

export function formatRgba(c: Rgba): string {
  const r = (v: number) => Math.round(Math.min(255, Math.max(0, v)));
  return `rgba(${r(c.r)}, ${r(c.g)}, ${r(c.b)}, ${Math.round(Math.min(1, Math.max(0, c.a)) * 1000) / 1000})`;
}

/** `color` with its alpha multiplied by `alpha`. Unparseable input is returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const c = parseColor(color);
  return c ? formatRgba({ ...c, a: c.a * alpha }) : color;
}

/** `t` of the way from `a` to `b` (0 → a, 1 → b). */
export function mixColors(a: string, b: string, t: number): string {
  const x = parseColor(a);
  const y = parseColor(b);
  if (!x || !y) return a;
  return formatRgba({ r: x.r + (y.r - x.r) * t, g: x.g + (y.g - x.g) * t, b: x.b + (y.b - x.b) * t, a: x.a });
}
