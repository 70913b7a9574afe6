/**
 * How a run is named in the views: by its name when the payload carries one, else by its id,
 * shortened in tables and legends when it is an MLflow id (32 hex digits). The full id is always
 * on hover, and a click copies it.
 */

import { Child, h } from './dom';

const MLFLOW_ID = /^[0-9a-f]{32}$/;
const SHORT = 8;

/** `3f2a9c1b…` for an MLflow run id; anything else as it is. */
export function shortId(id: string): string {
  return MLFLOW_ID.test(id) ? `${id.slice(0, SHORT)}\u2026` : id;
}

/** The text a run goes by: its name, else its (short) id. */
export function runText(id: string, name?: string | null): string {
  return name || shortId(id);
}

/** A run's label: its name or short id, the full id on hover and copied on click. */
export function runLabel(id: string, name?: string | null): HTMLElement {
  const label = h(
    'span',
    { class: 'jp-DeepFix-run', title: `run id ${id} (click to copy)`, 'data-run-id': id },
    runText(id, name)
  );
  label.addEventListener('click', () => {
    void navigator.clipboard?.writeText(id).then(
      () => label.setAttribute('title', `run id ${id} (copied)`),
      () => undefined
    );
  });
  return label;
}

/** Break opportunities after `_`, `.`, `-` and `/`, so long identifiers wrap in narrow cells. */
export function breakable(text: string): Child[] {
  const parts = text.split(/(?<=[_./-])/);
  return parts.flatMap((part, i) => (i < parts.length - 1 ? [part, h('wbr')] : [part]));
}
