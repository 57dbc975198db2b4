/**
 * The @vscode-elements components the webviews use (Lit web components with the VS Code look,
 * the maintained successor of the archived webview-ui-toolkit). Importing registers them.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';

export interface SelectOption {
  value: string;
  label: string;
}

/** A vscode-single-select with text-only option labels; `onChange` gets the chosen value. */
export function buildSelect(label: string, id: string, options: SelectOption[], value: string, onChange: (value: string) => void): HTMLElement {
  const select = document.createElement('vscode-single-select');
  select.id = id;
  select.setAttribute('label', label);
  for (const o of options) {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', o.value);
    opt.textContent = o.label;
    if (o.value === value) opt.setAttribute('selected', '');
    select.appendChild(opt);
  }
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

export function buildCheckbox(label: string, id: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const box = document.createElement('vscode-checkbox');
  box.id = id;
  box.setAttribute('label', label);
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  return box;
}

export function buildButton(label: string, opts: { id?: string; secondary?: boolean; title?: string }, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  if (opts.id) b.id = opts.id;
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.title) b.setAttribute('title', opts.title);
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
