/**
 * Builders for the @vscode-elements components (registered by vscode-elements-register.ts, which
 * every app imports or, in the Compare page, loads before it builds any).
 */

/** A component whose definition has not run would take these properties as plain fields, silently. */
function create<K extends 'vscode-single-select' | 'vscode-checkbox' | 'vscode-button'>(tag: K): HTMLElementTagNameMap[K] {
  if (!customElements.get(tag)) throw new Error(`<${tag}> is not registered yet: load vscode-elements-register first`);
  return document.createElement(tag);
}

export interface SelectOption {
  value: string;
  label: string;
}

/** A vscode-single-select with text-only option labels; `onChange` gets the chosen value. */
export function buildSelect(label: string, id: string, options: SelectOption[], value: string, onChange: (value: string) => void): HTMLElement {
  const select = create('vscode-single-select');
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
  const box = create('vscode-checkbox');
  box.id = id;
  box.setAttribute('label', label);
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  return box;
}

export function buildButton(label: string, opts: { id?: string; secondary?: boolean; title?: string }, onClick: () => void): HTMLElement {
  const b = create('vscode-button');
  if (opts.id) b.id = opts.id;
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.title) b.setAttribute('title', opts.title);
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
