// Map labels that do not cover each other: the busiest areas are labelled first, and a
// label whose box would cover one already placed is left out. Pure (no DOM, no map), so
// that a test can drive it with boxes of its own.
(function () {
  "use strict";

  // place takes items {n: count, x, y: the centre in pixels, w, h: the label's size} and
  // returns those to label, busiest first: at most opts.max of them, none with a count of
  // zero when opts.skipZero.
  function place(items, opts) {
    var placed = [], out = [];
    items.slice().sort(function (a, b) { return b.n - a.n; }).forEach(function (it) {
      if (out.length >= opts.max || (opts.skipZero && it.n === 0)) {
        return;
      }
      var box = { x0: it.x - it.w / 2, x1: it.x + it.w / 2, y0: it.y - it.h / 2, y1: it.y + it.h / 2 };
      if (placed.some(function (b) { return box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1; })) {
        return;
      }
      placed.push(box);
      out.push(it);
    });
    return out;
  }

  window.GridloopLabels = { place: place };
})();
