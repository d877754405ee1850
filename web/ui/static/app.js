// gridloop progressive enhancement. Every page works without this file.
(function () {
  "use strict";
  // "Use my location" on the report and patrol forms: fills latitude and longitude
  // (and tells the map picker, which listens for change). With data-auto the patrol
  // form asks at once; the fields stay for typing when the phone has no fix.
  var btn = document.getElementById("locate");
  if (btn && "geolocation" in navigator) {
    var status = document.getElementById("locate-status");
    var locate = function () {
      status.textContent = btn.dataset.busy;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = document.getElementById("lat"), lng = document.getElementById("lng");
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        lat.dispatchEvent(new Event("change"));
        status.textContent = "";
      }, function () {
        status.textContent = btn.dataset.fail;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    };
    btn.hidden = false;
    btn.addEventListener("click", locate);
    if (btn.dataset.auto && !document.getElementById("lat").value) {
      locate();
    }
  }

  // An import's page: poll its progress and reload when it ends. Without this file
  // the page refreshes itself (<noscript> meta refresh).
  var job = document.getElementById("job");
  if (job && job.dataset.state === "running") {
    var bar = document.getElementById("job-progress");
    var meta = document.getElementById("job-meta");
    var poll = function () {
      fetch(job.dataset.progress, { credentials: "same-origin" }).then(function (r) {
        return r.json();
      }).then(function (s) {
        if (s.percent >= 0) {
          bar.value = s.percent;
          bar.textContent = s.percent + "%";
        }
        meta.textContent = meta.dataset.running.replace("{done}", s.done).replace("{read}", Math.round(s.read / 1024) + " KB");
        if (s.state !== "running") {
          window.location.reload();
          return;
        }
        setTimeout(poll, 700);
      }).catch(function () {
        setTimeout(poll, 2000);
      });
    };
    setTimeout(poll, 300);
  }
})();
