// The demo page puts the widget's script tag on the page with the options in
// its query (?language=he&subject=billing&title=…&color=…&fields=comment),
// so that one page shows every option.
(function () {
  var q = new URLSearchParams(location.search);
  var s = document.createElement("script");
  s.src = "/widget.js";
  s.async = true;
  s.dataset.channel = q.get("channel") || "web";
  s.dataset.subject = q.get("subject") || "billing";
  ["language", "title", "color", "fields"].forEach(function (k) {
    if (q.get(k)) s.dataset[k] = q.get(k);
  });
  if (q.get("language")) document.documentElement.lang = q.get("language");
  document.body.appendChild(s);
})();
