/**
 * Every command Loopline registers, in one typed list. `registerCommand`, `executeCommand`, tree
 * items and CodeLenses take ids from here, and test/unit/command-ids.unit.ts checks the list against
 * package.json (contributes.commands and menus), so a typo fails a test rather than a user's click.
 * No `vscode` import: the check runs in plain Node.
 */
export const COMMANDS = {
  runTrainingScript: 'loopline.runTrainingScript',
  stopRun: 'loopline.stopRun',
  installPythonClient: 'loopline.installPythonClient',
  reattachContainerRuns: 'loopline.reattachContainerRuns',
  rerunWithParams: 'loopline.rerunWithParams',
  compareSelectedRuns: 'loopline.compareSelectedRuns',
  openExperimentTable: 'loopline.openExperimentTable',
  openRunDetail: 'loopline.openRunDetail',
  newExperiment: 'loopline.newExperiment',
  renameRun: 'loopline.renameRun',
  addTag: 'loopline.addTag',
  deleteRun: 'loopline.deleteRun',
  restoreRun: 'loopline.restoreRun',
  copyRunId: 'loopline.copyRunId',
  revealArtifacts: 'loopline.revealArtifacts',
  openArtifact: 'loopline.openArtifact',
  showCodeDiff: 'loopline.showCodeDiff',
  checkoutRunCode: 'loopline.checkoutRunCode',
  startTrackingServer: 'loopline.startTrackingServer',
  stopTrackingServer: 'loopline.stopTrackingServer',
  copyTrackingUri: 'loopline.copyTrackingUri',
  refresh: 'loopline.refresh',
  sortRuns: 'loopline.sortRuns',
  filterRuns: 'loopline.filterRuns',
  clearFilter: 'loopline.clearFilter',
  showTrash: 'loopline.showTrash',
  showLog: 'loopline.showLog',
  loadMoreRuns: 'loopline.loadMoreRuns',
  revealRun: 'loopline.revealRun',
  openDataProfile: 'loopline.openDataProfile',
  scoreFileWithModel: 'loopline.scoreFileWithModel',
  startSweep: 'loopline.startSweep',
  cancelQueued: 'loopline.cancelQueued',
  compareSweep: 'loopline.compareSweep',
  registerModel: 'loopline.registerModel',
  setModelAlias: 'loopline.setModelAlias',
  openModelCard: 'loopline.openModelCard',
  compareModelVersions: 'loopline.compareModelVersions',
  archiveModelVersion: 'loopline.archiveModelVersion',
  refreshModels: 'loopline.refreshModels',
  deployModelVersion: 'loopline.deployModelVersion',
  rollbackDeployment: 'loopline.rollbackDeployment',
  promoteCanary: 'loopline.promoteCanary',
  undeploy: 'loopline.undeploy',
  sendTestRequest: 'loopline.sendTestRequest',
  openEndpointLogs: 'loopline.openEndpointLogs',
  refreshDeployments: 'loopline.refreshDeployments',
  openMonitoring: 'loopline.openMonitoring',
  retrainDeployment: 'loopline.retrainDeployment',
  importRuns: 'loopline.importRuns',
  exportRunsToMlflow: 'loopline.exportRunsToMlflow',
  installCliInPath: 'loopline.installCliInPath',
  evaluateModel: 'loopline.evaluateModel',
  openEvaluationReport: 'loopline.openEvaluationReport',
} as const;

export type CommandKey = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandKey];

/** Commands invoked only by tree items and CodeLenses, with arguments: not in package.json. */
export const INTERNAL_COMMANDS: ReadonlySet<CommandId> = new Set<CommandId>([COMMANDS.loadMoreRuns, COMMANDS.revealRun]);
