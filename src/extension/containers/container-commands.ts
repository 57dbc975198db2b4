import * as vscode from 'vscode';
import { LooplineError } from '../../core/errors.ts';
import { log } from '../log.ts';
import { pythonCommand } from '../python-interpreter.ts';
import type { Services } from '../services.ts';

/** *Loopline: Install Python Client*: pip-installs the client into the selected interpreter. */
export async function installPythonClient(s: Services): Promise<string | undefined> {
  const folder = s.stores.folders()[0];
  const python = folder ? (await pythonCommand(folder))[0]! : 'python3';
  const { installPythonClient: install } = await import('../../core/python-client/client-install.ts');
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Loopline: installing the Python client into ${python}…` }, () =>
    install(python, (text) => log().info(text.trimEnd())),
  );
  void vscode.window.showInformationMessage(`Loopline: the Python client is installed into ${python}; \`import loopline\` works there now.`);
  return python;
}

/**
 * Container runs whose launcher went away (a closed window, a killed `loopline run`): follow them
 * here until they end (logs, metrics, the end recorded). dockerode loads only if there are any.
 */
export async function reattachOrphanedContainerRuns(s: Services): Promise<string[]> {
  const followed: string[] = [];
  for (const ws of s.stores.allExisting()) {
    const reattach = await import('../../core/containers/container-reattach.ts');
    if (reattach.orphanedContainerRuns(ws.store).length === 0) continue;
    const endpoint = await s.servers.ensure(ws);
    const runs = await reattach.reattachContainerRuns(ws.store, { trackingUrl: endpoint.url });
    for (const r of runs) {
      followed.push(r.runId);
      log().info(`Reattached to container run ${r.runId}`);
      ws.watcher.notifyLocalWrite();
      void r.finished
        .then((end) => log().info(`Container run ${r.runId} ${end.status}${end.statusReason ? ` (${end.statusReason})` : ''}`))
        .catch((err: unknown) => log().error(`Container run ${r.runId}: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => ws.watcher.notifyLocalWrite());
    }
  }
  return followed;
}

/** Stop Run on a container run this window did not launch: SIGTERM to the container, SIGKILL later. */
export async function stopForeignContainerRun(s: Services, runId: string): Promise<boolean> {
  const ws = s.stores.findRun(runId);
  if (!ws) throw new LooplineError('RESOURCE_DOES_NOT_EXIST', `Run ${runId} is not in this workspace.`);
  const { stopContainerRun } = await import('../../core/containers/container-reattach.ts');
  return stopContainerRun(ws.store, runId);
}
