import * as vscode from 'vscode';

/** Typed reads of the `loopline.*` settings for a workspace folder. */
export interface LooplineSettings {
  storePath: string;
  serverPort: number;
  serverAutoStart: boolean;
  pythonPath: string;
  primaryMetric: string;
  trainingScripts: string[];
  runsPageSize: number;
}

export function readSettings(scope?: vscode.ConfigurationScope): LooplineSettings {
  const c = vscode.workspace.getConfiguration('loopline', scope);
  return {
    storePath: c.get<string>('storePath', ''),
    serverPort: c.get<number>('trackingServer.port', 0),
    serverAutoStart: c.get<boolean>('trackingServer.autoStart', true),
    pythonPath: c.get<string>('pythonPath', ''),
    primaryMetric: c.get<string>('primaryMetric', ''),
    trainingScripts: c.get<string[]>('trainingScripts', []),
    runsPageSize: Math.max(10, Math.min(5000, c.get<number>('runsPageSize', 200))),
  };
}
