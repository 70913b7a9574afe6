// The anywidget bundle: widgets/src/anywidget.ts and its CSS as one ES module + one stylesheet,
// shipped as package data (deepfix_notebook/notebook/static/) and loaded by AnalysisWidget and
// ComparisonWidget as their _esm and _css.
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const widgets = fileURLToPath(new URL('../../widgets/src/', import.meta.url));
const out = fileURLToPath(new URL('../../deepfix_notebook/notebook/static/', import.meta.url));
const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: [`${widgets}anywidget.ts`],
  outfile: `${out}widget.js`,
  format: 'esm',
  target: 'es2020'
});
await build({ ...common, entryPoints: [`${widgets}style.css`], outfile: `${out}widget.css` });
