/**
 * Small DOM builders. Text always becomes text nodes (never parsed as HTML), and attributes that
 * could run code or load resources are refused, so data from runs can be passed in safely.
 */
export type Child = Node | string | number | null | undefined | false;

export interface ElementProps {
  className?: string;
  id?: string;
  /** Plain attributes (aria-*, role, type, ...). Event handlers, style and URLs are refused. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

const FORBIDDEN_ATTR = /^(on|style$|src$|srcdoc$|href$|xlink:href$|action$|formaction$|data$)/i;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props?: ElementProps | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(tag: string, props?: ElementProps | null, ...children: Child[]): HTMLElement;
export function el(tag: string, props?: ElementProps | null, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  if (props?.className) node.className = props.className;
  if (props?.id) node.id = props.id;
  for (const [name, value] of Object.entries(props?.attrs ?? {})) setSafeAttribute(node, name, value);
  append(node, ...children);
  return node;
}

/** Sets an attribute through the DOM (never via markup); boolean true → empty, false/null → removed. */
export function setSafeAttribute(node: Element, name: string, value: string | number | boolean | null | undefined): void {
  if (FORBIDDEN_ATTR.test(name)) throw new Error(`refusing to set attribute ${name}`);
  if (value === false || value === null || value === undefined) node.removeAttribute(name);
  else node.setAttribute(name, value === true ? '' : String(value));
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function setText(node: Element, text: string): void {
  node.textContent = text;
}

let idCounter = 0;
/** A document-unique id for aria-labelledby and label/for pairs. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
