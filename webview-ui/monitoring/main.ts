import type { HostToMonitoring, MonitoringToHost } from '../../src/protocol/monitoring-protocol.ts';
import '../shared/base.css';
import '../shared/vscode-elements-register.ts';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { MonitoringApp } from './monitoring-app.ts';
import './monitoring.css';

/** Entry of the Monitoring webview: listen, then say `ready` (the host answers with the history). */
const host = connectToHost<MonitoringToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new MonitoringApp(root, host);
onHostMessage<HostToMonitoring>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
host.post({ type: 'ready' });
