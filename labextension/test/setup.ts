// jsdom has no DragEvent, which @lumino/dragdrop (imported by @lumino/widgets) subclasses.
if (typeof globalThis.DragEvent === 'undefined') {
  (globalThis as any).DragEvent = class DragEvent extends MouseEvent {};
}
