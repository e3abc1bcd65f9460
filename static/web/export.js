/* The background export's page (templates/web/export.html): polls its status.json every second and
   moves the <progress> bar; when the job is done it shows the file's link, when it failed the error.
   No inline script: this file is the whole of it. */
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box || !box.dataset.statusUrl || !window.fetch) { return; }
  var url = box.dataset.statusUrl;
  var bar = document.getElementById("export-progress");
  var count = document.getElementById("export-count");
  var status = document.getElementById("export-status");
  var error = document.getElementById("export-error");
  var ready = document.getElementById("export-ready");
  var link = document.getElementById("export-file");

  function show(job) {
    status.textContent = job.status_label;
    bar.max = job.total || 1;
    bar.value = job.progress;
    count.textContent = job.progress + " / " + job.total + " 行";
    if (job.error) { error.textContent = job.error; error.hidden = false; }
    if (job.file) { link.href = job.file; ready.hidden = false; }
    return job.status === "done" || job.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) { if (!job || !show(job)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
