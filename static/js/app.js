// Fairground's page script, loaded on every page as an ES module:
//   <script type="module" src="/static/js/app.js"></script>
//
// The Content-Security-Policy forbids inline scripts, so instead of GOV.UK's
// inline snippet we add its body classes here. Module scripts only run in
// browsers that GOV.UK Frontend supports, so reaching this line means both
// classes are true. Module scripts are deferred, so <body> exists by now.

import { initAll } from "/static/build/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");

initAll();

// Wide tables scroll inside their region (.app-table-scroll): say so, above the
// table, whenever it is wider than the screen. Without JavaScript the region's
// edge shadows (app.scss) are the cue.
function markScrollableTables() {
  for (const region of document.querySelectorAll(".app-table-scroll")) {
    const overflows = region.scrollWidth > region.clientWidth + 1;
    region.classList.toggle("app-table-scroll--overflows", overflows);
    const hint = region.previousElementSibling;
    if (hint && hint.classList.contains("app-table-scroll__hint")) {
      hint.hidden = !overflows;
    }
  }
}

markScrollableTables();
window.addEventListener("resize", markScrollableTables);
