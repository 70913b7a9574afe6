/**
 * "DeepFix: Analyze run…": the code the command inserts, and how it asks the kernel whether
 * `%load_ext deepfix_notebook` is still needed.
 */

import type { Kernel, KernelMessage } from '@jupyterlab/services';

export const COMMAND_ID = 'deepfix:analyze-run';
export const COMMAND_LABEL = 'DeepFix: Analyze run\u2026';
export const LOAD_EXT = '%load_ext deepfix_notebook';
/** How long the kernel may take to say whether the magics are loaded (it may be busy). */
export const PROBE_TIMEOUT_MS = 3000;
/** An IPython expression: true when `%deepfix` is registered in the kernel. */
export const PROBE_EXPRESSION = "'deepfix' in get_ipython().magics_manager.magics['line']";

/**
 * The argument `%deepfix analyze` gets for what the user typed, or an error to show.
 *
 * The magic splits its line like a shell without removing quotes and strips them itself, so a
 * run id or path with spaces is wrapped in quotes; `$name` is left for the magic (a variable).
 */
export function runArgument(
  input: string
): { ok: true; value: string } | { ok: false; error: string } {
  const value = input.trim();
  if (!value) {
    return { ok: false, error: 'Give an MLflow run id, a run directory or a $variable.' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return { ok: false, error: 'The run id must be a single line without control characters.' };
  }
  if (value.startsWith('-')) {
    return { ok: false, error: `A run id cannot start with "-" (got ${JSON.stringify(value)}).` };
  }
  if (!/\s/.test(value)) {
    return { ok: true, value };
  }
  if (!value.includes('"')) {
    return { ok: true, value: `"${value}"` };
  }
  if (!value.includes("'")) {
    return { ok: true, value: `'${value}'` };
  }
  return {
    ok: false,
    error: 'A run id or path with spaces cannot contain both kinds of quotes.'
  };
}

/** The cell's source: `%deepfix analyze ARG`, after `%load_ext` unless the magics are loaded. */
export function analyzeCode(argument: string, loaded: boolean | null): string {
  const line = `%deepfix analyze ${argument}`;
  return loaded === true ? line : `${LOAD_EXT}\n${line}`;
}

/**
 * Whether the kernel has the `%deepfix` magics: `true`/`false`, or `null` when it cannot tell
 * (no kernel, not IPython, or no answer within `timeoutMs` because it is busy).
 */
export async function magicsLoaded(
  kernel: Kernel.IKernelConnection | null | undefined,
  timeoutMs = PROBE_TIMEOUT_MS
): Promise<boolean | null> {
  if (!kernel) {
    return null;
  }
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { deepfix: PROBE_EXPRESSION }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>(resolve => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const reply = await Promise.race([future.done, timeout]);
    return reply === null ? null : probeAnswer(reply);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The probe's answer in an `execute_reply`, or `null` when there is none. */
export function probeAnswer(reply: KernelMessage.IExecuteReplyMsg): boolean | null {
  const content = reply.content as {
    status?: string;
    user_expressions?: Record<string, { status?: string; data?: Record<string, unknown> }>;
  };
  const answer = content.status === 'ok' ? content.user_expressions?.deepfix : undefined;
  if (answer?.status !== 'ok') {
    return null;
  }
  const text = answer.data?.['text/plain'];
  return text === 'True' ? true : text === 'False' ? false : null;
}
