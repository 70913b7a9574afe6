// Fails the build when package.json's version is not the Python package's version.
//
// deepfix_notebook/_version.py is the single source of the version; package.json (and the lock
// file) must carry the same one, spelled for npm. To bump both, from labextension/:
//   npm version --no-git-tag-version <X.Y.Z>
import { readFileSync } from 'node:fs';

const source = readFileSync(new URL('../../deepfix_notebook/_version.py', import.meta.url), 'utf8');
const match = /^__version__\s*=\s*["']([^"']+)["']/m.exec(source);
if (!match) {
  console.error('check-version: no __version__ = "..." in deepfix_notebook/_version.py');
  process.exit(1);
}
const python = match[1];
// PEP 440 pre-releases (1.2.0a1, 1.2.0b2, 1.2.0rc1) are npm's 1.2.0-alpha.1, -beta.2, -rc.1.
const pre = /^(\d+\.\d+\.\d+)(?:(a|b|rc)(\d+))?$/.exec(python);
if (!pre) {
  console.error(
    `check-version: ${python} (deepfix_notebook/_version.py) is not X.Y.Z[aN|bN|rcN], ` +
      'the versions that map onto npm.'
  );
  process.exit(1);
}
const npm = pre[2] ? `${pre[1]}-${{ a: 'alpha', b: 'beta', rc: 'rc' }[pre[2]]}.${pre[3]}` : pre[1];
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (pkg.version !== npm) {
  console.error(
    `check-version: labextension/package.json has version ${pkg.version}, but ` +
      `deepfix_notebook/_version.py has ${python}. Run, in labextension/:\n` +
      `  npm version --no-git-tag-version ${npm}`
  );
  process.exit(1);
}
