// gridloop public map (issue #9): the public cases of the last 90 days as clustered
// markers. Progressive enhancement: without this file the page links to the board.
(function () {
  "use strict";
  var cfgEl = document.getElementById("public-map-config");
  var el = document.getElementById("public-map");
  if (!cfgEl || !el || !window.L) {
    return;
  }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels || {};
  var count = document.getElementById("public-map-count");
  el.hidden = false;
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, maxZoom: 19, minZoom: 3, attributionControl: !!cfg.tiles });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  L.control.scale({ imperial: false }).addTo(map);
  if (cfg.bounds) {
    map.fitBounds(L.latLngBounds([cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]));
  } else {
    map.setView([30.27, 120.15], 12);
  }
  var cluster = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 }) : L.layerGroup();
  map.addLayer(cluster);
  function node(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  count.textContent = T.loading;
  fetch(cfg.cases_url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
    if (!r.ok) {
      throw new Error("HTTP " + r.status);
    }
    return r.json();
  }).then(function (d) {
    var markers = d.cases.map(function (c) {
      var m = L.circleMarker([c.lat, c.lng], { radius: 7, weight: 2, color: c.status === "closed" ? "#34a853" : "#0b57d0", fillOpacity: 0.6 });
      m.bindPopup(function () {
        var link = node("a", "code", [c.code]);
        link.href = "/public/cases/" + encodeURIComponent(c.code);
        return node("div", "case-popup", [
          node("p", "", [link, " ", node("span", "badge st-" + c.status, [c.status_label])]),
          node("p", "small", [(c.category ? c.category + " · " : "") + c.description])
        ]);
      });
      return m;
    });
    if (cluster.addLayers) {
      cluster.addLayers(markers);
    } else {
      markers.forEach(function (m) { cluster.addLayer(m); });
    }
    count.textContent = T.shown.replace("%d", d.shown).replace("%d", d.total + (d.total_capped ? "+" : ""));
    el.dataset.cases = String(markers.length);
    el.dataset.ready = "1";
    if (!cfg.bounds && markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [20, 20] });
    }
  }).catch(function () {
    count.textContent = T.failed;
    el.dataset.ready = "error";
  });
})();
