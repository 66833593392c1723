/* Pagefind's own UI over the local index; a ?q= from the header's search box runs at once.
   Everything is served from this site: nothing leaves the browser. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("search");
    if (!el || typeof PagefindUI === "undefined") { return; }
    var bundle = new URL(el.getAttribute("data-bundle"), document.baseURI);
    var base = new URL(el.getAttribute("data-base"), document.baseURI);
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: bundle.pathname,
      baseUrl: base.pathname,
      showImages: false,
      resetStyles: false,
      autofocus: true
    });
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) {
      ui.triggerSearch(q);
      var box = document.getElementById("site-search-q");
      if (box) { box.value = q; }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
