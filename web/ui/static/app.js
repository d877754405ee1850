// gridloop progressive enhancement. Every page works without this file.
(function () {
  "use strict";
  // "Use my location" on the report form: fills latitude and longitude.
  var btn = document.getElementById("locate");
  if (btn && "geolocation" in navigator) {
    var status = document.getElementById("locate-status");
    btn.hidden = false;
    btn.addEventListener("click", function () {
      status.textContent = btn.dataset.busy;
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
        status.textContent = "";
      }, function () {
        status.textContent = btn.dataset.fail;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
})();
