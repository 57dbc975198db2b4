/**
 * Where the training-script CodeLens goes, from the text alone (no `vscode`, tested in plain Node):
 * the first code line after the shebang, comments and module docstring, so it is on screen when
 * the file opens, and the `if __name__ == "__main__":` entry point when there is one further down.
 */
const MAIN_GUARD = /^if\s+__name__\s*==\s*['"]__main__['"]\s*:/m;

export function hasMainGuard(text: string): boolean {
  return MAIN_GUARD.test(text);
}

export function lensLines(text: string): number[] {
  const lines = text.split(/\r?\n/);
  let i = 0;
  const skipBlankAndComments = () => {
    while (i < lines.length && /^\s*(#.*)?$/.test(lines[i]!)) i++;
  };
  skipBlankAndComments();
  const doc = /^\s*[rRuUbBfF]{0,2}("""|''')/.exec(lines[i] ?? '');
  if (doc) {
    const quote = doc[1]!;
    const rest = lines[i]!.slice(lines[i]!.indexOf(quote) + 3);
    if (!rest.includes(quote)) {
      i++;
      while (i < lines.length && !lines[i]!.includes(quote)) i++;
    }
    i++;
    skipBlankAndComments();
  } else if (/^\s*[rRuUbBfF]{0,2}["'][^"']*["']\s*$/.test(lines[i] ?? '')) {
    i++; // a one-line docstring in single quotes
    skipBlankAndComments();
  }
  const first = i < lines.length ? i : 0;
  const guard = MAIN_GUARD.exec(text);
  const entry = guard ? text.slice(0, guard.index).split(/\r?\n/).length - 1 : undefined;
  return entry === undefined || entry === first ? [first] : [first, entry];
}
