/**
 * The views this extension draws with: DeepFix's shared front end in the repository's top-level
 * `widgets/` (built to `widgets/lib` by `npm run build:widgets`), the same modules the anywidget
 * bundle is made of. Everything the extension needs from it passes through here.
 */

export * from '../../widgets/lib/index.js';
