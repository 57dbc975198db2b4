/**
 * Registers the @vscode-elements components the shared builders (vscode-elements.ts) create (Lit
 * web components with the VS Code look, the maintained successor of the archived
 * webview-ui-toolkit). Apps import it; the Compare page loads it as `elements.js` after its first
 * chart (see page-library.ts).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
