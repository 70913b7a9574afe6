/**
 * The anywidget front end (`AnalysisWidget`, `ComparisonWidget` in `deepfix_notebook.notebook`):
 * the same views as the JupyterLab extension, drawn from the widget's synced `payload` (the JSON
 * of the output's `application/vnd.deepfix.*+json`) and redrawn when the kernel changes it.
 */

import { renderOrExplain } from './render';

/** The part of anywidget's model the view reads (`@anywidget/types`' `AnyModel`). */
export interface Model {
  get(name: 'mime' | 'payload' | 'text'): unknown;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
  send(content: unknown): void;
}

/**
 * Outside JupyterLab (no `--jp-*` theme variables: VS Code, Colab) the views take the host's
 * text colour; light text means a dark page, so the system colours (`Canvas`, form controls)
 * are told to be dark too.
 */
export function followHostScheme(el: HTMLElement): void {
  const style = getComputedStyle(el);
  if (!el.isConnected || style.getPropertyValue('--jp-layout-color1').trim()) {
    return;
  }
  const [r, g, b] = (style.color.match(/[\d.]+/g) ?? ['0', '0', '0']).map(Number);
  el.style.colorScheme = 0.2126 * r + 0.7152 * g + 0.0722 * b > 128 ? 'dark' : 'light';
}

/** Draw the widget into `el`; the returned function stops following the model. */
export function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  el.classList.add('deepfix-anywidget');
  // Hosts attach `el` after `render`: look at the page's colours once it is in place.
  requestAnimationFrame(() => followHostScheme(el));
  const draw = (): void => {
    el.replaceChildren(
      renderOrExplain(String(model.get('mime')), model.get('payload'), model.get('text'), {
        // The runs table's Analyze: the kernel analyses the run and shows it below the table.
        onAnalyze: runId => model.send({ event: 'analyze', run_id: runId })
      })
    );
  };
  draw();
  model.on('change:payload', draw);
  return () => model.off('change:payload', draw);
}

export default { render };
