import type { DetailToHost, HostToDetail } from '../../src/protocol/run-detail-protocol.ts';
import '../shared/base.css';
import '../shared/vscode-elements-register.ts';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { RunDetailApp } from './run-detail-app.ts';
import { parseRunDetailState } from './run-detail-state.ts';
import './run-detail.css';

/** Entry of the Run Detail webview: restore state, listen, then say `ready` (the host answers `init`). */
const host = connectToHost<DetailToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new RunDetailApp(root, host, parseRunDetailState(host.loadState()));
onHostMessage<HostToDetail>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
host.post({ type: 'ready' });
