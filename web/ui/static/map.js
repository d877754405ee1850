// gridloop maps, with Leaflet: the staff map (cases over areas and grids), the map of
// one case, and the location picker of the report form. Progressive enhancement: every
// page with a map works without this file (the picker's latitude and longitude fields
// stay, the case list stands in for the staff map). The page hands its settings over as
// JSON in <script type="application/json" id="map-config">.
(function () {
  "use strict";
  var cfgEl = document.getElementById("map-config");
  var el = document.getElementById("map");
  if (!cfgEl || !el || !window.L) {
    return;
  }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels || {};
  el.hidden = false;
  var hint = document.getElementById("map-hint");
  if (hint) {
    hint.hidden = false;
  }

  // maxZoom is set on the map itself: without a tile layer nothing else sets it.
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, maxZoom: 19, minZoom: 3, attributionControl: !!cfg.tiles });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles"); // vector layers on a plain background
  }
  L.control.scale({ imperial: false }).addTo(map);
  // Leaflet follows the window's size, not its box's: when the box changes without the
  // window (a layout shift around it), taps would be read against the old size and
  // land on the wrong place.
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      map.invalidateSize();
    }).observe(el);
  }
  var city = cfg.bounds ? L.latLngBounds([cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]) : null;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json().then(function (body) {
        return { body: body, truncated: r.headers.get("X-Truncated") === "1" };
      });
    });
  }

  // node builds an element from a tag, a class and children (strings become text).
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

  function facts(pairs) {
    var dl = node("dl", "facts compact");
    pairs.forEach(function (p) {
      dl.appendChild(node("dt", "", [p[0]]));
      dl.appendChild(node("dd", "", [p[1]]));
    });
    return dl;
  }

  // outlines is the layer of the areas of one level, drawn but not clickable, with
  // their names at their centres when labels is set.
  function outlines(level, style, labels) {
    var group = L.layerGroup();
    var shapes = L.geoJSON(null, { style: style, interactive: false }).addTo(group);
    getJSON(cfg.areas_url + "?level=" + level).then(function (res) {
      shapes.addData(res.body);
      if (labels) {
        shapes.eachLayer(function (l) {
          var name = l.feature.properties.name;
          L.marker(l.getBounds().getCenter(), {
            interactive: false, keyboard: false,
            icon: L.divIcon({ className: "area-label", html: node("span", "", [name]), iconSize: null })
          }).addTo(group);
        });
      }
      el.dataset[level + "s"] = String(res.body.features.length);
    }).catch(function () {
      el.dataset[level + "s"] = "error";
    });
    return group;
  }

  function pinIcon(status, overdue) {
    return L.divIcon({ className: "case-pin st-" + status + (overdue ? " overdue" : ""), iconSize: [16, 16] });
  }

  var districtStyle = { color: "#12355b", weight: 2, opacity: 0.8, fill: false };
  var streetStyle = { color: "#5b6b7d", weight: 1, opacity: 0.7, dashArray: "4 3", fill: false };
  var gridStyle = { color: "#7d8896", weight: 0.7, opacity: 0.8, fillColor: "#9aa4af", fillOpacity: 0.04 };
  var pickedStyle = { color: "#d93025", weight: 3, fill: true, fillOpacity: 0.08 };

  function status(msg) {
    var s = document.getElementById("map-count");
    if (s) {
      s.textContent = msg;
    }
  }

  function fmt(s, n) {
    return String(s).replace("%d", n);
  }

  // The staff map: clustered cases over district, street and grid outlines.
  function overview() {
    // The view first: the cluster layer needs a zoom level when it is added.
    if (city) {
      map.fitBounds(city);
    } else {
      map.setView([35, 105], 4);
    }
    var districts = outlines("district", districtStyle, true).addTo(map);
    var streets = outlines("street", streetStyle, false).addTo(map);
    var picked = L.geoJSON(null, { style: pickedStyle, interactive: false }).addTo(map);
    var grids = L.geoJSON(null, {
      style: gridStyle,
      onEachFeature: function (f, layer) {
        layer.on("click", function (e) {
          showGrid(f.properties.code, e.latlng);
        });
      }
    }).addTo(map);
    var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true });
    map.addLayer(cluster);
    // Street outlines only when zoomed in enough to tell them apart.
    map.on("zoomend", function () {
      if (map.getZoom() >= 11) {
        map.addLayer(streets);
      } else {
        map.removeLayer(streets);
      }
    });
    if (map.getZoom() < 11) {
      map.removeLayer(streets);
    }
    var overlays = {};
    overlays[T.layer_districts] = districts;
    overlays[T.layer_streets] = streets;
    overlays[T.layer_grids] = grids;
    overlays[T.layer_cases] = cluster;
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);

    var gridReq = 0;
    var gridNote = "";
    function loadGrids() {
      if (!map.hasLayer(grids)) {
        return;
      }
      var n = ++gridReq;
      if (map.getZoom() < cfg.grid_min_zoom) {
        grids.clearLayers();
        el.dataset.grids = "0";
        gridNote = T.zoom_for_grids;
        showCount();
        return;
      }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      getJSON(cfg.grids_url + "?bbox=" + bbox).then(function (res) {
        if (n !== gridReq) {
          return; // a newer view asked meanwhile
        }
        grids.clearLayers();
        grids.addData(res.body);
        grids.bringToBack();
        el.dataset.grids = String(res.body.features.length);
        gridNote = "";
        showCount();
      }).catch(function () {
        el.dataset.grids = "error";
      });
    }
    map.on("moveend", loadGrids);
    map.on("overlayadd", function (e) {
      if (e.layer === grids) {
        loadGrids();
      }
    });

    var panel = document.getElementById("grid-info-body");
    function showGrid(code, latlng) {
      if (panel) {
        panel.textContent = T.loading;
      }
      getJSON(cfg.grid_url + encodeURIComponent(code)).then(function (res) {
        var g = res.body;
        var rg = g.resp_grid ? (g.resp_grid.name || g.resp_grid.code) + " (" + g.resp_grid.code + ")" : T.none;
        var box = facts([
          [T.grid, g.code],
          [T.area, g.names.length ? g.names.join(" · ") : T.none],
          [T.resp_grid, rg],
          [T.workers, g.workers.length ? g.workers.join("、") : T.none]
        ]);
        box.id = "grid-facts";
        if (panel) {
          panel.textContent = "";
          panel.appendChild(box);
        }
        picked.clearLayers();
        if (g.geometry) {
          picked.addData(g.geometry);
        }
        if (latlng) {
          L.popup({ maxWidth: 280, minWidth: 220 }).setLatLng(latlng).setContent(box.cloneNode(true)).openOn(map);
        }
        el.dataset.grid = g.code;
      }).catch(function () {
        if (panel) {
          panel.textContent = T.failed;
        }
      });
    }

    var total = 0, shown = 0;
    function showCount() {
      var s = fmt(T.total, total);
      if (shown < total) {
        s += " · " + fmt(T.shown, shown);
      }
      if (gridNote) {
        s += " · " + gridNote;
      }
      status(s);
    }

    status(T.loading);
    getJSON(cfg.cases_url).then(function (res) {
      var d = res.body;
      total = d.total;
      shown = d.shown;
      var markers = d.cases.map(function (c) {
        var m = L.marker([c.lat, c.lng], { icon: pinIcon(c.status, c.overdue), title: c.code + " " + c.status_label });
        m.bindPopup(function () {
          var link = node("a", "code", [c.code]);
          link.href = "/cases/" + encodeURIComponent(c.code);
          return node("div", "case-popup", [
            node("p", "", [link, " ", node("span", "badge st-" + c.status, [c.status_label])]),
            node("p", "small", [(c.category_name ? c.category_name + " · " : "") + c.description]),
            node("p", "small", [(function () {
              var a = node("a", "", [T.open_case]);
              a.href = link.href;
              return a;
            })()])
          ]);
        });
        return m;
      });
      cluster.addLayers(markers);
      el.dataset.cases = String(markers.length);
      showCount();
      if (!city && markers.length) {
        map.fitBounds(cluster.getBounds(), { padding: [20, 20] });
      }
      chart(d.cases);
      el.dataset.ready = "1";
    }).catch(function (e) {
      status(T.failed);
      el.dataset.ready = "error";
      el.dataset.error = String(e && e.message || e);
    });

    window.gridloopMap = { map: map, cluster: cluster, grids: grids, showGrid: showGrid };
  }

  // chart draws the count of cases per state with ECharts, if it is loaded.
  function chart(cases) {
    var box = document.getElementById("status-chart");
    if (!box || !window.echarts) {
      return;
    }
    var counts = {};
    var order = [];
    cases.forEach(function (c) {
      if (!(c.status_label in counts)) {
        counts[c.status_label] = 0;
        order.push(c.status_label);
      }
      counts[c.status_label]++;
    });
    var ch = echarts.init(box, null, { renderer: "canvas" });
    ch.setOption({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: order, inverse: true },
      series: [{ type: "bar", data: order.map(function (k) { return counts[k]; }), itemStyle: { color: "#0b57d0" },
        label: { show: true, position: "right" } }],
      aria: { enabled: true }
    });
    window.addEventListener("resize", function () { ch.resize(); });
    box.dataset.bars = String(order.length);
  }

  // The map of one case: its point and its unit grid.
  function caseMap() {
    var p = cfg.point;
    var pin = L.marker(p, { icon: pinIcon("here", false), keyboard: false }).addTo(map);
    map.setView(p, 16);
    if (cfg.grid_code) {
      var url = cfg.grid_url + encodeURIComponent(cfg.grid_code) + (cfg.resp_grid ? "?resp=" + encodeURIComponent(cfg.resp_grid) : "");
      getJSON(url).then(function (res) {
        var g = res.body;
        var shape = L.geoJSON(g.geometry, { style: pickedStyle, interactive: false }).addTo(map);
        map.fitBounds(shape.getBounds().extend(pin.getLatLng()), { padding: [24, 24], maxZoom: 17 });
        // A node, not a string: Leaflet puts a string tooltip in as HTML.
        pin.bindTooltip(node("span", "", [g.code + (g.names.length ? " · " + g.names[g.names.length - 1] : "")]));
        el.dataset.grid = g.code;
      }).catch(function () {});
    }
    el.dataset.ready = "1";
  }

  // The report form's picker: tap the map to set the point; the fields stay the truth.
  function picker() {
    outlines("district", districtStyle, true).addTo(map);
    outlines("street", streetStyle, false).addTo(map);
    var lat = document.getElementById("lat");
    var lng = document.getElementById("lng");
    var place = document.getElementById("pick-place");
    var pin = null;
    var seq = 0;
    function setPoint(ll, fill) {
      if (!pin) {
        pin = L.marker(ll, { icon: pinIcon("here", false), keyboard: false }).addTo(map);
      } else {
        pin.setLatLng(ll);
      }
      if (fill) {
        lat.value = ll.lat.toFixed(6);
        lng.value = ll.lng.toFixed(6);
      }
      el.dataset.picked = lat.value + "," + lng.value;
      if (!cfg.locate_url || !place) {
        return;
      }
      var n = ++seq;
      getJSON(cfg.locate_url + "?lat=" + ll.lat.toFixed(6) + "&lng=" + ll.lng.toFixed(6)).then(function (res) {
        if (n !== seq) {
          return;
        }
        var r = res.body;
        if (r.located) {
          place.textContent = fmt(T.picked, r.place);
          place.className = "small";
        } else if (r.has_grids) {
          place.textContent = T.outside;
          place.className = "small field-error";
        } else {
          place.textContent = "";
        }
      }).catch(function () {});
    }
    function fromFields() {
      var a = parseFloat(lat.value), b = parseFloat(lng.value);
      if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
        return L.latLng(a, b);
      }
      return null;
    }
    map.on("click", function (e) {
      setPoint(e.latlng, true);
    });
    [lat, lng].forEach(function (input) {
      input.addEventListener("change", function () {
        var ll = fromFields();
        if (ll) {
          setPoint(ll, false);
          map.setView(ll, Math.max(map.getZoom(), 16));
        }
      });
    });
    var start = fromFields();
    if (start) {
      map.setView(start, 16);
      setPoint(start, false);
    } else if (city) {
      map.fitBounds(city);
    } else {
      map.setView([35, 105], 4);
    }
    window.gridloopMap = { map: map };
    el.dataset.ready = "1";
  }

  try {
    if (cfg.mode === "overview") {
      overview();
    } else if (cfg.mode === "case") {
      caseMap();
    } else if (cfg.mode === "picker") {
      picker();
    }
  } catch (e) {
    el.dataset.ready = "error";
    el.dataset.error = String(e && e.message || e);
    throw e;
  }
})();
