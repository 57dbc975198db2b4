import type { CompareToHost, HostToCompare } from '../../src/protocol/compare-protocol.ts';
import '../shared/base.css';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { CompareApp } from './compare-app.ts';
import { parseCompareState } from './compare-state.ts';
import './compare.css';

/** Entry of the Compare webview: restore state, listen, then say `ready` (the host answers `init`). */
const host = connectToHost<CompareToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new CompareApp(root, host, parseCompareState(host.loadState()));
onHostMessage<HostToCompare>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
host.post({ type: 'ready' });
