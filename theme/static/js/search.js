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
    // Pagefind's box has only a placeholder: give it a name (axe's label rules; screen readers).
    var labelled = function () {
      var input = el.querySelector("input");
      if (input) { input.setAttribute("aria-label", el.getAttribute("data-label")); }
      return Boolean(input);
    };
    if (!labelled()) {
      new MutationObserver(function (changes, observer) {
        if (labelled()) { observer.disconnect(); }
      }).observe(el, { childList: true, subtree: true });
    }
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) {
      ui.triggerSearch(q);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
