import * as vscode from 'vscode';
import { readSettings } from './settings.ts';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

/**
 * The Python to run scripts with: the `loopline.pythonPath` setting, else the interpreter
 * selected in the Python extension (when installed), else `python3`.
 */
export async function pythonCommand(folder: vscode.WorkspaceFolder): Promise<string[]> {
  const configured = readSettings(folder).pythonPath;
  if (configured) return [configured];
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const path = api.environments?.getActiveEnvironmentPath(folder.uri)?.path;
      if (path) return [path];
      const exec = api.settings?.getExecutionDetails(folder.uri)?.execCommand;
      if (exec?.length) return exec;
    } catch {
      // fall back to python3 below
    }
  }
  return ['python3'];
}
