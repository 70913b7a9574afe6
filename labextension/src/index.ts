/**
 * The JupyterLab plugin: the "DeepFix: Analyze run…" command, in the command palette.
 *
 * It asks for a run id, inserts a code cell below the active one in the current notebook with
 * `%deepfix analyze <id>` (after `%load_ext deepfix_notebook` unless the kernel already has the
 * magics) and runs it. The renderers are the separate mime extension (`mime.ts`).
 */

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  ICommandPalette,
  ISessionContextDialogs,
  InputDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { COMMAND_ID, COMMAND_LABEL, analyzeCode, magicsLoaded, runArgument } from './command';
import { ANALYZE_EVENT } from './renderer';

const PALETTE_CATEGORY = 'DeepFix';

/** Ask for the run (again, with the reason, while the answer is unusable); null if cancelled. */
async function askForRun(): Promise<string | null> {
  let label = 'MLflow run id, run directory or $variable:';
  let text = '';
  for (;;) {
    const answer = await InputDialog.getText({
      title: 'DeepFix: analyze a run',
      label,
      placeholder: 'e.g. 3f2a9c… or runs/my-run',
      text,
      okLabel: 'Analyze'
    });
    if (!answer.button.accept) {
      return null;
    }
    text = answer.value ?? '';
    const parsed = runArgument(text);
    if (parsed.ok) {
      return parsed.value;
    }
    label = parsed.error;
  }
}

/**
 * Insert the analysis cell below the active cell of `panel` and run it (with no kernel,
 * `dialogs` asks for one, as running any cell does).
 */
export async function analyzeInNotebook(
  panel: NotebookPanel,
  argument: string,
  dialogs: ISessionContextDialogs | null
): Promise<void> {
  const { sessionContext, content: notebook } = panel;
  await sessionContext.ready;
  const language = sessionContext.session?.kernel
    ? (await sessionContext.session.kernel.info).language_info.name
    : 'python';
  if (language.toLowerCase() !== 'python') {
    await showErrorMessage(
      'DeepFix needs a Python kernel',
      `This notebook runs a ${language} kernel; %deepfix is an IPython magic.`
    );
    return;
  }
  const loaded = await magicsLoaded(sessionContext.session?.kernel);
  NotebookActions.insertBelow(notebook);
  if (notebook.activeCell?.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  const cell = notebook.activeCell;
  if (!cell) {
    throw new Error('No cell was inserted');
  }
  cell.model.sharedModel.setSource(analyzeCode(argument, loaded));
  await NotebookActions.run(notebook, sessionContext, dialogs ?? undefined);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'deepfix-notebook:analyze-command',
  description: 'The "DeepFix: Analyze run…" command: analyse a run in the current notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISessionContextDialogs],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    dialogs: ISessionContextDialogs | null
  ): void => {
    app.commands.addCommand(COMMAND_ID, {
      label: COMMAND_LABEL,
      caption: 'Analyse an MLflow run or run directory with DeepFix in the current notebook',
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (!panel) {
          return;
        }
        const argument = await askForRun();
        if (argument === null) {
          return;
        }
        try {
          await analyzeInNotebook(panel, argument, dialogs);
        } catch (error) {
          await showErrorMessage('DeepFix: Analyze run', String(error));
        }
      }
    });
    palette?.addItem({ command: COMMAND_ID, category: PALETTE_CATEGORY });

    // The runs table's Analyze (`%deepfix runs`): the analysis in a new cell below the table's.
    document.addEventListener(ANALYZE_EVENT, event => {
      const target = event.target as Node;
      const panel = tracker.find(p => p.node.contains(target));
      const runId = (event as CustomEvent<{ runId?: unknown }>).detail?.runId;
      const parsed = typeof runId === 'string' ? runArgument(runId) : null;
      if (!panel || !parsed?.ok) {
        return;
      }
      event.preventDefault();
      const notebook = panel.content;
      notebook.activeCellIndex = notebook.widgets.findIndex(cell => cell.node.contains(target));
      analyzeInNotebook(panel, parsed.value, dialogs).catch(error =>
        showErrorMessage('DeepFix: Analyze run', String(error))
      );
    });
  }
};

export default plugin;
