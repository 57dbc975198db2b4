import { hasMainGuard } from '../codelens/lens-lines.ts';

/**
 * Which files the Run Training Script picker offers, and in what order. No `vscode` import
 * (tested in plain Node): training scripts are files matching `loopline.trainingScripts`, or
 * Python files with a `__main__` block that import loopline or mlflow — never a library such as
 * the client itself. Recently run scripts come first, then the file in the active editor.
 */
const TRACKING_IMPORT = /^\s*(?:import|from)\s+(?:loopline|mlflow)\b/m;

export interface ScriptFile {
  path: string;
  /** The file's text (Python files), to look for an entry point and a tracking import. */
  text: string;
  /** Matches a `loopline.trainingScripts` pattern. */
  configured: boolean;
}

/** Imports loopline or mlflow. */
export function importsTracking(text: string): boolean {
  return TRACKING_IMPORT.test(text);
}

export function isTrainingScriptText(text: string): boolean {
  return hasMainGuard(text) && importsTracking(text);
}

/** Training scripts among `files`: recently run ones first (in `recent` order), then the active one, then by path. */
export function trainingScripts(files: ScriptFile[], recent: readonly string[], active?: string): string[] {
  const picked = files.filter((f) => f.configured || isTrainingScriptText(f.text)).map((f) => f.path);
  const rank = (p: string) => {
    const r = recent.indexOf(p);
    return r >= 0 ? r : p === active ? recent.length : recent.length + 1;
  };
  return picked.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
