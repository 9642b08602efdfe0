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
