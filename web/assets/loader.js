// Parley's widget loader: <script src="https://HOST/widget.js" data-channel="web" async></script>.
// It keeps its URL; the widget it loads has a content-hashed one.
(function () {
  var script = document.currentScript;
  // One widget a page, even if the tag is there twice.
  if (!script || !script.src || window.parleyWidgetLoading) return;
  window.parleyWidgetLoading = true;
  var base = new URL(script.src).origin;
  var start = function () {
    import(base + "{{assets}}/widget/widget.js").then(function (m) {
      window.parleyWidget = m.mount(script, base, "{{assets}}");
    });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
