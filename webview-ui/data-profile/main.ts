import type { HostToProfile, ProfileToHost } from '../../src/protocol/data-profile-protocol.ts';
import '../shared/base.css';
import '../shared/vscode-elements-register.ts';
import { watchTheme } from '../shared/theme-colors.ts';
import { connectToHost, onHostMessage } from '../shared/vscode-api.ts';
import { DataProfileApp } from './data-profile-app.ts';
import './data-profile.css';

/** Entry of the Data Profile webview: listen, then say `ready` (the host answers with what it has). */
const host = connectToHost<ProfileToHost>();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new DataProfileApp(root, host);
onHostMessage<HostToProfile>((msg) => app.handle(msg));
watchTheme(() => app.themeChanged());
host.post({ type: 'ready' });
