/**
 * DOM building without markup strings.
 *
 * Everything shown comes from a run's artifacts (CONTRACT.md §6), so text only ever goes through
 * `textContent` and attributes through `setAttribute`; event-handler attributes and links other
 * than http(s) are refused outright, whatever the caller passes.
 */

export const SVG_NS = 'http://www.w3.org/2000/svg';

export type Child = Node | string | number | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | null | undefined>;

function checkAttribute(name: string, value: string): void {
  if (/^on/i.test(name)) {
    throw new Error(`Refusing event-handler attribute ${JSON.stringify(name)}`);
  }
  if (/^(href|src|xlink:href|action|formaction)$/i.test(name) && !isWebUrl(value)) {
    throw new Error(`Refusing ${name}=${JSON.stringify(value)}: only http(s) URLs are linked`);
  }
}

/** True for absolute http(s) URLs, the only ones ever put into a link. */
export function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function fill(element: Element, attributes: Attributes, children: Child[]): void {
  for (const [name, raw] of Object.entries(attributes)) {
    if (raw === null || raw === undefined || raw === false) {
      continue;
    }
    const value = raw === true ? '' : String(raw);
    checkAttribute(name, value);
    element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.appendChild(
      typeof child === 'string' || typeof child === 'number'
        ? element.ownerDocument.createTextNode(String(child))
        : child
    );
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  fill(element, attributes, children);
  return element;
}

/** An SVG element, in the SVG namespace. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  fill(element, attributes, children);
  return element;
}

/** A link to an http(s) URL that opens in a new tab; `null` for any other URL. */
export function webLink(url: unknown, text: string): HTMLAnchorElement | null {
  if (!isWebUrl(url)) {
    return null;
  }
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow' }, text);
}

/** `items` without the empty ones, with `separator` between them. */
export function joined(items: Child[], separator: string): Child[] {
  const out: Child[] = [];
  for (const item of items) {
    if (item === null || item === undefined || item === false) {
      continue;
    }
    if (out.length) {
      out.push(separator);
    }
    out.push(item);
  }
  return out;
}
