import type { EvaluationToHost, HostToEvaluation } from '../../src/protocol/evaluation-protocol.ts';
import '../shared/base.css';
import '../shared/vscode-elements-register.ts';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { EvaluationApp } from './evaluation-app.ts';
import './evaluation.css';

/** Entry of the Evaluation Report webview: listen, then say `ready` (the host answers with what it has). */
const host = connectToHost<EvaluationToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new EvaluationApp(root, host);
onHostMessage<HostToEvaluation>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
host.post({ type: 'ready' });
