// Dragging a node, sigma's way: press on a node (downNode), move (moveBody, sigma's
// mousemovebody) with the camera's own panning prevented, release anywhere (the mouse
// captor's mouseup). The bounding box is frozen from the first drag until the next layout, so
// that the rest of the drawing does not rescale under the cursor. A dragged node stays where it is dropped: it is
// pinned (`fixed`, which ForceAtlas2 respects), and the click that ends a drag does not expand.

export function installDrag({ graph, renderer, stopLayout, onDropped }) {
  let dragged = null; // the node pressed on
  let moved = false; // whether it moved since
  let endedDrag = false; // the next click ends a drag: not an expansion

  renderer.on("downNode", ({ node }) => {
    dragged = node;
    moved = false;
    endedDrag = false;
  });

  renderer.on("moveBody", ({ event }) => {
    if (!dragged) return;
    if (!moved) {
      moved = true;
      stopLayout(); // the layout's worker would move the node back
      if (!renderer.getCustomBBox()) renderer.setCustomBBox(renderer.getBBox());
      graph.setNodeAttribute(dragged, "highlighted", true);
    }
    const pos = renderer.viewportToGraph(event);
    // Single precision, as the layout worker keeps positions: a pinned node never drifts.
    graph.mergeNodeAttributes(dragged, { x: Math.fround(pos.x), y: Math.fround(pos.y) });
    event.preventSigmaDefault();
    event.original.preventDefault();
    event.original.stopPropagation();
  });

  renderer.getMouseCaptor().on("mouseup", () => {
    if (!dragged) return;
    const node = dragged;
    dragged = null;
    if (!graph.hasNode(node)) return;
    graph.removeNodeAttribute(node, "highlighted");
    if (!moved) return;
    endedDrag = true;
    graph.setNodeAttribute(node, "fixed", true);
    onDropped(node);
  });

  // True once after a drag: the click sigma sends when the button is released.
  return {
    consumeDrag() {
      const was = endedDrag;
      endedDrag = false;
      return was;
    },
    get dragging() { return dragged !== null && moved; },
  };
}
