// Removes the build outputs: lib/, widgets/lib, the prebuilt extension in
// deepfix_notebook/labextension and the anywidget bundle in deepfix_notebook/notebook/static
// (its .gitignore stays).
import { rmSync } from 'node:fs';

for (const path of [
  '../lib',
  '../../widgets/lib',
  '../../deepfix_notebook/labextension',
  '../../deepfix_notebook/notebook/static/widget.js',
  '../../deepfix_notebook/notebook/static/widget.css'
]) {
  rmSync(new URL(path, import.meta.url), { recursive: true, force: true });
}
