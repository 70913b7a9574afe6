// Removes the build outputs: lib/ and the prebuilt extension in deepfix_notebook/labextension.
import { rmSync } from 'node:fs';

for (const path of ['../lib', '../../deepfix_notebook/labextension']) {
  rmSync(new URL(path, import.meta.url), { recursive: true, force: true });
}
