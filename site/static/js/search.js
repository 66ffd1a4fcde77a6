/* search.js - filters the index (search-index.js) by the words of ?q=.
   The page lists everything without JavaScript; this only narrows it. */
(function () {
  "use strict";
  var index = window.TINYVMI_INDEX || [];
  var q = new URLSearchParams(window.location.search).get("q") || "";
  var box = document.getElementById("q");
  var list = document.getElementById("results");
  var status = document.getElementById("status");
  var root = document.querySelector("a.brand").href;  /* the site's root, absolute */
  box.value = q;
  var words = q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  if (words.length === 0) { return; }
  function score(item) {
    var t = item.t.toLowerCase(), s = (item.s || "").toLowerCase(), n = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i];
      if (t === w) { n += 100; }
      else if (t.indexOf(w) >= 0) { n += 10; }
      else if (s.indexOf(w) >= 0) { n += 1; }
      else { return 0; }
    }
    return n + (item.f ? 1 : 0);
  }
  var hits = [];
  index.forEach(function (item) { var n = score(item); if (n > 0) { hits.push([n, item]); } });
  hits.sort(function (a, b) { return b[0] - a[0] || a[1].t.localeCompare(b[1].t); });
  hits.slice(0, 50).forEach(function (h) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = new URL(h[1].u.replace(/^\//, ""), root).href;
    a.textContent = h[1].t;
    if (h[1].f) { a.className = "fn-hit"; }
    li.appendChild(a);
    if (h[1].s) { li.appendChild(document.createTextNode(" — " + h[1].s)); }
    list.appendChild(li);
  });
  status.textContent = hits.length + (hits.length === 1 ? " match" : " matches") + " for \u201c" + q + "\u201d";
  document.getElementById("all").hidden = true;
})();
