// gridloop command dashboard (指挥大屏): fills the 1920×1080 frame of templates/command.html
// from /command/data.json every data-refresh seconds (ECharts for the charts, Leaflet for
// the heat map over the area and grid outlines, no tiles), and prepends the live feed
// from /command/events/stream (server-sent events). The page hands its settings over as
// JSON in <script type="application/json" id="command-config">.
(function () {
  "use strict";
  var root = document.getElementById("command");
  var cfgEl = document.getElementById("command-config");
  if (!root || !cfgEl) {
    return;
  }
  var cfg = JSON.parse(cfgEl.textContent);
  var W = 1920, H = 1080;
  var refreshSec = parseInt(root.dataset.refresh, 10) || cfg.refresh || 60;

  function t(key, vars) {
    var s = (cfg.labels && cfg.labels[key]) || key;
    Object.keys(vars || {}).forEach(function (k) {
      s = s.split("{" + k + "}").join(String(vars[k]));
    });
    return s;
  }

  // node builds an element from a tag, a class and children (strings become text).
  function node(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) {
        e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
      }
    });
    return e;
  }

  function $(id) {
    return document.getElementById(id);
  }

  // The frame is 1920×1080; on any other window it is scaled to fit and centred.
  function fit() {
    var s = Math.min(window.innerWidth / W, window.innerHeight / H);
    if (!(s > 0)) {
      return;
    }
    if (Math.abs(s - 1) < 0.002) {
      root.style.transform = "";
      root.style.left = "0px";
      root.style.top = "0px";
    } else {
      root.style.transform = "scale(" + s + ")";
      root.style.left = Math.max(0, (window.innerWidth - W * s) / 2) + "px";
      root.style.top = Math.max(0, (window.innerHeight - H * s) / 2) + "px";
    }
    root.dataset.scale = String(s);
  }
  fit();
  window.addEventListener("resize", function () {
    fit();
    charts.forEach(function (c) {
      c.resize();
    });
    if (heat.map) {
      heat.map.invalidateSize();
    }
  });

  // Times are shown in the city's time zone, whatever the screen's computer says.
  var locale = cfg.lang === "en" ? "en-GB" : "zh-CN";
  function formatter(opts) {
    try {
      return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: cfg.tz }, opts));
    } catch (e) {
      return new Intl.DateTimeFormat(locale, opts);
    }
  }
  var fmtClock = formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  var fmtDate = formatter({ year: "numeric", month: "long", day: "numeric", weekday: "long" });
  var fmtDay = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  var fmtShort = formatter({ month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  function dayKey(d) {
    return fmtDay.format(d);
  }
  function tick() {
    var now = new Date();
    $("cmd-clock").textContent = fmtClock.format(now);
    $("cmd-date").textContent = fmtDate.format(now);
  }
  tick();
  setInterval(tick, 1000);

  // ---- charts ----
  var charts = [];
  var palette = ["#35d0ff", "#ffd666", "#73d13d", "#ff9c6e", "#b37feb", "#ff6b6b", "#5cdbd3", "#adc6ff"];
  var axisText = { color: "#cfe3ff", fontSize: 13 };
  function chart(id) {
    var el = $(id);
    if (!window.echarts || !el) {
      return null;
    }
    var c = echarts.init(el, "dark", { renderer: "canvas" });
    c.on("finished", function () {
      el.dataset.finished = "1";
    });
    charts.push(c);
    return c;
  }
  var chStatus = chart("chart-status");
  var chChannel = chart("chart-channel");
  var chTrend = chart("chart-trend");
  var chCats = chart("chart-categories");
  var base = {
    backgroundColor: "transparent", color: palette, animationDuration: 600,
    textStyle: { fontFamily: "inherit" },
    tooltip: { confine: true, textStyle: { fontSize: 14 } }
  };
  function opt(o) {
    return Object.assign({}, base, o);
  }
  // setChart draws o, or says there is nothing to draw.
  function setChart(c, o, points) {
    if (!c) {
      return;
    }
    var el = c.getDom();
    el.dataset.finished = "0";
    if (!points) {
      c.clear();
      c.setOption(opt({
        title: { text: t("no_data"), left: "center", top: "middle", textStyle: { color: "#8fb3de", fontSize: 18, fontWeight: "normal" } }
      }));
    } else {
      // A refresh merges into what is drawn, so that the bars and lines move to their
      // new values instead of being drawn again from nothing.
      c.setOption(opt(o), !(+el.dataset.points > 0));
    }
    el.dataset.points = String(points || 0);
  }

  function drawStatus(today) {
    var rows = (today.by_status || []).filter(function (r) {
      return r.count > 0;
    });
    var many = rows.length > 7;
    setChart(chStatus, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 8, top: 26, bottom: 4, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
        axisLabel: Object.assign({ interval: 0, rotate: many ? 30 : 0 }, axisText), axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisText, splitLine: { lineStyle: { color: "rgba(143,179,222,.18)" } } },
      series: [{
        type: "bar", barMaxWidth: 34, data: rows.map(function (r) { return r.count; }),
        itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "#35d0ff" }, { offset: 1, color: "#1e5fa8" }]), borderRadius: [3, 3, 0, 0] },
        label: { show: true, position: "top", color: "#fff", fontSize: 15, fontWeight: "bold" }
      }]
    }, rows.length);
  }

  function drawChannel(today) {
    var rows = (today.by_channel || []).filter(function (r) {
      return r.count > 0;
    });
    setChart(chChannel, {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      title: { text: String(today.total || 0), subtext: t("cases"), left: "30%", top: "middle", textAlign: "center", textVerticalAlign: "middle",
        textStyle: { color: "#fff", fontSize: 34, fontWeight: "bold" }, subtextStyle: { color: "#a9c4e6", fontSize: 14 }, itemGap: 0 },
      legend: { orient: "vertical", right: 6, top: "middle", itemWidth: 14, itemHeight: 10, textStyle: { color: "#e6f0ff", fontSize: 14 },
        formatter: function (name) {
          var r = rows.filter(function (x) { return x.label === name; })[0];
          return name + "  " + (r ? r.count : 0);
        } },
      series: [{
        type: "pie", radius: ["52%", "82%"], center: ["30%", "50%"], avoidLabelOverlap: true,
        label: { show: false }, labelLine: { show: false },
        itemStyle: { borderColor: "#0a2246", borderWidth: 2 },
        data: rows.map(function (r) { return { name: r.label, value: r.count }; })
      }]
    }, rows.length);
  }

  function drawTrend(trend) {
    var keys = ["reported", "registered", "handled", "closed", "overdue"];
    var colors = ["#35d0ff", "#b37feb", "#ffd666", "#73d13d", "#ff6b6b"];
    var any = (trend || []).some(function (p) {
      return keys.some(function (k) { return p[k] > 0; });
    });
    setChart(chTrend, {
      tooltip: { trigger: "axis" },
      legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8, itemGap: 8, textStyle: { color: "#e6f0ff", fontSize: 13 } },
      grid: { left: 6, right: 10, top: 28, bottom: 2, containLabel: true },
      xAxis: { type: "category", boundaryGap: false, data: (trend || []).map(function (p) { return p.date.slice(5); }),
        axisLabel: Object.assign({}, axisText, { fontSize: 12 }), axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisText, splitLine: { lineStyle: { color: "rgba(143,179,222,.18)" } } },
      series: keys.map(function (k, i) {
        return {
          name: t(k), type: "line", smooth: true, symbol: "none", lineStyle: { width: 2.5, color: colors[i] }, itemStyle: { color: colors[i] },
          areaStyle: k === "reported" ? { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "rgba(53,208,255,.35)" }, { offset: 1, color: "rgba(53,208,255,0)" }]) } : undefined,
          data: (trend || []).map(function (p) { return p[k]; })
        };
      })
    }, any ? (trend || []).length : 0);
  }

  function drawCategories(cats) {
    var rows = (cats || []).slice(0, 10).reverse();
    setChart(chCats, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 6, right: 34, top: 2, bottom: 2, containLabel: true },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
        axisLabel: Object.assign({}, axisText, { fontSize: 14, interval: 0, width: 118, overflow: "truncate" }),
        axisTick: { show: false }, axisLine: { show: false } },
      series: [{
        type: "bar", barMaxWidth: 14, barCategoryGap: "35%", data: rows.map(function (r) { return r.count; }),
        itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1e5fa8" }, { offset: 1, color: "#ffd666" }]), borderRadius: [0, 3, 3, 0] },
        label: { show: true, position: "right", color: "#fff", fontSize: 14, fontWeight: "bold" }
      }]
    }, rows.length);
  }

  // ---- figures and tables ----
  function kpi(id, v) {
    var el = $(id);
    if (el) {
      el.querySelector(".k-value").textContent = v === undefined || v === null ? "–" : String(v);
    }
  }
  function drawKPIs(d) {
    var last = (d.trend || [])[d.trend.length - 1] || {};
    kpi("kpi-today", d.today_cases.total);
    kpi("kpi-open", d.open.total);
    kpi("kpi-overdue", d.overdue.total);
    kpi("kpi-handled", last.handled);
    kpi("kpi-closed", last.closed);
  }

  function pct(v) {
    if (v === null || v === undefined) {
      return t("none");
    }
    return v >= 0.9995 ? "100%" : (v * 100).toFixed(1) + "%";
  }

  var RANK_ROWS = 10;
  function drawRanking(rows) {
    var body = document.querySelector("#ranking-table tbody");
    body.textContent = "";
    var shown = (rows || []).slice(0, RANK_ROWS);
    shown.forEach(function (r) {
      var tr = node("tr", r.rank <= 3 ? "top" + r.rank : "");
      tr.dataset.dept = String(r.id);
      tr.appendChild(node("td", "num rank", [node("span", "medal", [String(r.rank)])]));
      var name = node("td", "name", [r.name || "#" + r.id]);
      name.title = r.name || "";
      tr.appendChild(name);
      var score = node("td", "num score", [r.score === null || r.score === undefined ? t("unscored") : r.score.toFixed(1)]);
      score.title = cfg.score_def;
      tr.appendChild(score);
      cfg.indicators.forEach(function (ind) {
        var v = r.indicators ? r.indicators[ind.id] : null;
        var td = node("td", "num", [pct(v)]);
        td.title = ind.name + "：" + ind.definition;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (!shown.length) {
      var td = node("td", "empty", [t("no_data")]);
      td.colSpan = 3 + cfg.indicators.length;
      body.appendChild(node("tr", "", [td]));
    }
    var n = (rows || []).length;
    $("ranking-count").textContent = n > RANK_ROWS ? t("rank_more", { n: n, shown: RANK_ROWS }) : "";
  }

  function lateBy(due) {
    var ms = Date.now() - Date.parse(due);
    if (!(ms > 0)) {
      return t("none");
    }
    var min = Math.floor(ms / 60000);
    if (min < 60) {
      return t("minutes", { n: min });
    }
    if (min < 48 * 60) {
      return t("hours", { n: Math.floor(min / 60) });
    }
    return t("days", { n: Math.floor(min / 1440) });
  }

  // The overdue list pages through its items when they do not fit, one page every
  // few seconds: a wall screen has no scroll bar.
  var overdue = { items: [], total: 0, page: 0, perPage: 0 };
  function overdueRow(it) {
    var tr = node("tr");
    tr.dataset.code = it.code;
    tr.dataset.light = it.light;
    tr.appendChild(node("td", "", [node("span", "lamp " + it.light, [cfg.lights[it.light] || it.light])]));
    var a = node("a", "", [it.code]);
    a.href = cfg.case_url + encodeURIComponent(it.code);
    tr.appendChild(node("td", "", [a, it.urgent ? node("span", "tag-urgent", [t("urgent")]) : null]));
    tr.appendChild(node("td", "", [it.category_name || it.category_code || t("none")]));
    var place = node("td", "", [it.area_name || it.address || t("none")]);
    place.title = [it.area_name, it.address, it.description].filter(Boolean).join(" · ");
    tr.appendChild(place);
    tr.appendChild(node("td", "", [it.dept_name || t("none")]));
    tr.appendChild(node("td", "", [it.due ? fmtShort.format(new Date(it.due)) : t("none")]));
    tr.appendChild(node("td", "num late", [it.due ? lateBy(it.due) : t("none")]));
    return tr;
  }
  function drawOverdue() {
    var body = document.querySelector("#overdue-table tbody");
    var box = document.querySelector("#panel-overdue .table-box");
    body.textContent = "";
    var items = overdue.items;
    if (!items.length) {
      var td = node("td", "empty", [t("no_data")]);
      td.colSpan = 7;
      body.appendChild(node("tr", "", [td]));
      $("overdue-count").textContent = t("overdue_more", { n: 0 });
      return;
    }
    if (!overdue.perPage) {
      // Measure: how many rows fit in the box.
      body.appendChild(overdueRow(items[0]));
      var rowH = body.firstChild.getBoundingClientRect().height / (parseFloat(root.dataset.scale) || 1);
      var headH = document.querySelector("#overdue-table thead").getBoundingClientRect().height / (parseFloat(root.dataset.scale) || 1);
      overdue.perPage = Math.max(1, Math.floor((box.clientHeight - headH) / Math.max(rowH, 1)));
      body.textContent = "";
    }
    var pages = Math.ceil(items.length / overdue.perPage);
    if (overdue.page >= pages) {
      overdue.page = 0;
    }
    items.slice(overdue.page * overdue.perPage, (overdue.page + 1) * overdue.perPage).forEach(function (it) {
      body.appendChild(overdueRow(it));
    });
    var label = t("overdue_more", { n: overdue.total });
    if (pages > 1) {
      label += " · " + (overdue.page + 1) + "/" + pages;
    }
    $("overdue-count").textContent = label;
    root.dataset.overduePages = String(pages);
    root.dataset.overduePage = String(overdue.page);
    root.dataset.overduePer = String(overdue.perPage);
  }
  setInterval(function () {
    if (overdue.perPage && overdue.items.length > overdue.perPage) {
      overdue.page++;
      drawOverdue();
    }
  }, 8000);

  // ---- the heat map ----
  var heat = { map: null, areas: null, grids: null, labels: null, areaData: null, gridData: null, names: {}, cells: {}, ready: false };
  var COLORS = ["#1b5fa8", "#1f9fb8", "#3fc18a", "#e6c84a", "#f28c3a", "#eb4d4d"];
  function inScope(code) {
    var sc = cfg.area_scope || [];
    if (!sc.length) {
      return true;
    }
    return sc.some(function (p) {
      return code.indexOf(p) === 0 || p.indexOf(code) === 0;
    });
  }
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
  // scale gives each count a class: equal steps from 1 to the largest count, at most
  // COLORS.length of them; the largest count always gets the hottest colour.
  function scale(max) {
    var n = Math.min(COLORS.length, Math.max(max, 1));
    var step = Math.max(1, Math.ceil(max / n));
    var classes = [];
    for (var i = 0; i < n && i * step + 1 <= max; i++) {
      classes.push({ from: i * step + 1, to: Math.min(max, (i + 1) * step) });
    }
    classes.forEach(function (c, i) {
      c.color = COLORS[COLORS.length - classes.length + i];
    });
    return classes;
  }
  function colorOf(classes, v) {
    for (var i = 0; i < classes.length; i++) {
      if (v <= classes[i].to) {
        return classes[i].color;
      }
    }
    return classes.length ? classes[classes.length - 1].color : COLORS[0];
  }
  function note(text) {
    var el = $("heat-note");
    el.textContent = text || "";
    el.hidden = !text;
  }
  function initHeat() {
    var el = $("heat-map");
    if (!window.L || !el) {
      return Promise.resolve();
    }
    heat.map = L.map(el, {
      zoomControl: false, attributionControl: false, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false,
      keyboard: false, dragging: false, touchZoom: false, zoomSnap: 0.1, maxZoom: 19, minZoom: 3
    });
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(heat.map);
    // The finest level of areas that exists: communities, else streets, else districts.
    var levels = ["community", "street", "district"];
    function tryLevel(i) {
      if (i >= levels.length) {
        return Promise.resolve(null);
      }
      return getJSON(cfg.areas_url + "?level=" + levels[i]).then(function (res) {
        var feats = (res.body.features || []).filter(function (f) {
          return inScope(f.properties.code);
        });
        return feats.length ? { level: levels[i], features: feats } : tryLevel(i + 1);
      });
    }
    return tryLevel(0).then(function (areas) {
      if (!areas) {
        if (cfg.bounds) {
          heat.map.fitBounds([[cfg.bounds[1], cfg.bounds[0]], [cfg.bounds[3], cfg.bounds[2]]]);
        } else {
          heat.map.setView([30, 114], 4);
        }
        return null;
      }
      heat.areaData = { type: "FeatureCollection", features: areas.features };
      areas.features.forEach(function (f) {
        heat.names[f.properties.code] = f.properties.name;
      });
      var b = L.geoJSON(heat.areaData).getBounds();
      heat.map.fitBounds(b, { padding: [14, 14] });
      // The unit grids inside the areas, when they come in one answer.
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      return getJSON(cfg.grids_url + "?bbox=" + bbox).then(function (res) {
        if (res.truncated) {
          return null;
        }
        var feats = (res.body.features || []).filter(function (f) {
          return inScope(f.properties.code);
        });
        heat.gridData = feats.length ? { type: "FeatureCollection", features: feats } : null;
        return null;
      }, function () {
        return null;
      });
    }).then(function () {
      if (heat.gridData) {
        heat.grids = L.geoJSON(heat.gridData, { interactive: true }).addTo(heat.map);
      }
      if (heat.areaData) {
        heat.areas = L.geoJSON(heat.areaData, { interactive: !heat.gridData }).addTo(heat.map);
        heat.labels = L.layerGroup().addTo(heat.map);
      }
      heat.ready = true;
    }).catch(function () {
      note(t("no_areas"));
      heat.ready = true;
    });
  }
  function drawHeat(h) {
    if (!heat.map || !heat.ready) {
      return;
    }
    var el = $("heat-map");
    $("heat-range").textContent = h.from && h.to ? t("from_to", { from: h.from.slice(5), to: h.to.slice(5) }) : "";
    var grid = {};
    (h.grids || []).forEach(function (c) {
      grid[c.code] = c.count;
    });
    // An area's count is the sum of its grids' (a grid's code begins with its area's:
    // 6 digits of district, 9 of street, 12 of community).
    var sums = {};
    Object.keys(grid).forEach(function (g) {
      [6, 9, 12].forEach(function (n) {
        if (g.length > n) {
          sums[g.slice(0, n)] = (sums[g.slice(0, n)] || 0) + grid[g];
        }
      });
    });
    function areaCount(code) {
      return sums[code] || grid[code] || 0;
    }
    var cells = heat.grids ? heat.grids : heat.areas;
    var max = 0, hot = 0, drawn = 0;
    if (cells) {
      cells.eachLayer(function (l) {
        var v = heat.grids ? grid[l.feature.properties.code] || 0 : areaCount(l.feature.properties.code);
        l.feature.properties.count = v;
        max = Math.max(max, v);
      });
    }
    var classes = scale(max);
    if (cells) {
      cells.eachLayer(function (l) {
        var v = l.feature.properties.count;
        drawn++;
        if (v > 0) {
          hot++;
        }
        l.setStyle(v > 0 ? { color: "rgba(255,255,255,.35)", weight: heat.grids ? 0.6 : 1.5, fillColor: colorOf(classes, v), fillOpacity: 0.78 }
          : { color: "rgba(143,179,222,.35)", weight: heat.grids ? 0.4 : 1.2, fillColor: "#0d2a4f", fillOpacity: 0.55 });
        if (l.getElement && l.getElement()) {
          l.getElement().classList.add("heat-cell");
          l.getElement().classList.toggle("hot", v > 0);
        }
        var name = heat.grids ? l.feature.properties.code : l.feature.properties.name;
        l.unbindTooltip();
        l.bindTooltip(name + " · " + t("reports", { n: v }), { sticky: true });
      });
    }
    if (heat.areas && heat.grids) {
      heat.areas.eachLayer(function (l) {
        l.setStyle({ color: "#e6f0ff", weight: 2.2, opacity: 0.9, fill: false });
      });
    }
    // Names and counts at the areas' centres: every area when there are few, else the
    // busiest twelve. A label that would cover one already placed (busier) is left out:
    // the busiest communities sit together in the city's centre, and their names piled
    // up unreadable.
    if (heat.labels) {
      heat.labels.clearLayers();
      var items = [];
      heat.areas.eachLayer(function (l) {
        var n = areaCount(l.feature.properties.code), name = l.feature.properties.name, count = t("reports", { n: n });
        var at = l.getBounds().getCenter(), p = heat.map.latLngToContainerPoint(at);
        // The label's box, centred on the point (.area-name span: 15 px names, 14 px counts).
        items.push({ n: n, name: name, count: count, at: at, x: p.x, y: p.y,
          w: Math.max(name.length * 15, count.length * 9) + 8, h: 42 });
      });
      var many = items.length > 40;
      window.GridloopLabels.place(items, { max: many ? 12 : 40, skipZero: many }).forEach(function (x) {
        var label = node("span", "", [x.name, node("small", "", [x.count])]);
        L.marker(x.at, {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "area-name", html: label, iconSize: null })
        }).addTo(heat.labels);
      });
    }
    var legend = $("heat-legend");
    legend.textContent = "";
    if (max > 0) {
      legend.appendChild(node("b", "", [t("legend")]));
      classes.slice().reverse().forEach(function (c) {
        var sw = node("span", "sw");
        sw.style.background = c.color;
        legend.appendChild(node("div", "row", [sw, c.from === c.to ? String(c.from) : c.from + "–" + c.to]));
      });
      var zero = node("span", "sw");
      zero.style.background = "#0d2a4f";
      legend.appendChild(node("div", "row", [zero, "0"]));
    }
    if (cfg.dept_scope && !(h.grids || []).length) {
      note(t("no_heat_dept"));
    } else if (!cells) {
      note(t("no_areas"));
    } else if (!max) {
      note(t("no_heat"));
    } else {
      note("");
    }
    el.dataset.cells = String(drawn);
    el.dataset.hot = String(hot);
    el.dataset.grids = String(heat.gridData ? heat.gridData.features.length : 0);
    el.dataset.areas = String(heat.areaData ? heat.areaData.features.length : 0);
    el.dataset.max = String(max);
    el.dataset.ready = "1";
  }

  // ---- data ----
  var state = null;
  var lastGood = null;
  var timer = null;
  function load(sections) {
    var url = cfg.data_url + (sections ? "?sections=" + sections.join(",") : "");
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.redirected && /\/login/.test(r.url)) {
        window.location.reload(); // signed out: show the sign-in page, which comes back here
        throw new Error("signed out");
      }
      var ct = r.headers.get("Content-Type") || "";
      if (ct.indexOf("json") < 0) {
        throw new Error("HTTP " + r.status);
      }
      return r.json().then(function (body) {
        if (!r.ok) {
          throw new Error((body.error && body.error.message) || "HTTP " + r.status);
        }
        return body;
      });
    });
  }
  function draw(d, parts) {
    var all = !parts;
    var has = function (p) {
      return all || parts.indexOf(p) >= 0;
    };
    drawKPIs(d);
    if (has("today")) {
      drawStatus(d.today_cases);
      drawChannel(d.today_cases);
    }
    if (has("trend")) {
      drawTrend(d.trend);
    }
    if (has("categories")) {
      drawCategories(d.top_categories);
    }
    if (has("ranking")) {
      drawRanking(d.department_ranking);
    }
    if (has("overdue")) {
      overdue.items = d.overdue.items || [];
      overdue.total = d.overdue.total || 0;
      drawOverdue();
    }
    if (has("heat")) {
      drawHeat(d.heat);
    }
  }
  function count(name) {
    root.dataset[name] = String((parseInt(root.dataset[name], 10) || 0) + 1);
  }
  function updated(ok, err, partial) {
    var el = $("cmd-updated");
    var when = lastGood ? fmtClock.format(new Date(lastGood)) : "–";
    el.classList.toggle("failed", !ok);
    el.textContent = ok ? t("updated", { time: when }) : t("update_failed", { error: err && err.message ? err.message : String(err), time: when });
    if (ok) {
      root.dataset.refreshed = String(lastGood);
      count(partial ? "partials" : "refreshes");
    } else {
      count("failures");
    }
  }
  // refresh reads everything, or only the named sections (after live events), and
  // merges them into what the screen shows.
  function refresh(sections) {
    return load(sections).then(function (d) {
      if (!state || !sections) {
        state = d;
      } else {
        var map = { today: "today_cases", open: "open", trend: "trend", categories: "top_categories", ranking: "department_ranking", overdue: "overdue", heat: "heat" };
        sections.forEach(function (s) {
          state[map[s]] = d[map[s]];
        });
        state.generated_at = d.generated_at;
      }
      lastGood = Date.parse(d.generated_at) || Date.now();
      draw(state, state === d ? null : sections);
      updated(true, null, state !== d);
    }).catch(function (err) {
      updated(false, err);
    });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      refresh().then(schedule);
    }, refreshSec * 1000);
  }
  // After live events, the counts that move with every event are read again soon (at
  // most every 10 seconds); the full refresh keeps its own rhythm.
  var quick = null, lastQuick = 0;
  function soon() {
    if (quick || !state) {
      return;
    }
    var wait = Math.max(2000, 10000 - (Date.now() - lastQuick));
    quick = setTimeout(function () {
      quick = null;
      lastQuick = Date.now();
      refresh(["today", "open", "trend", "overdue"]);
    }, wait);
  }

  // ---- the live feed ----
  var FEED_MAX = 40;
  var feedEl = $("feed");
  var seen = {};
  function feedEmpty() {
    if (!feedEl.firstChild) {
      feedEl.appendChild(node("li", "empty", [t("feed_empty")]));
    }
  }
  function areaName(code) {
    for (var c = code || ""; c.length >= 6; c = c.slice(0, c.length === 12 ? 9 : c.length - 3)) {
      if (heat.names[c]) {
        return heat.names[c];
      }
    }
    return "";
  }
  function feedItem(e) {
    var at = new Date(e.at);
    var when = dayKey(at) === dayKey(new Date()) ? fmtClock.format(at) : fmtShort.format(at);
    var code = node("a", "code", [e.case_code]);
    code.href = cfg.case_url + encodeURIComponent(e.case_code);
    var l1 = node("div", "l1", [
      node("time", "", [when]),
      node("span", "act a-" + e.action, [cfg.actions[e.action] || e.action_label || e.action]),
      code,
      node("span", "to", ["→ " + (cfg.statuses[e.to] || e.status_label || e.to)])
    ]);
    var who = cfg.roles[e.role] || e.role_label || "";
    if (e.actor && e.role !== "citizen" && e.role !== "system") {
      who += " " + e.actor;
    }
    var bits = [cfg.categories[e.category_code] || "", areaName(e.area_code), e.dept_name || "", who].filter(Boolean);
    var li = node("li", "", [l1, node("div", "l2", [bits.join(" · ")])]);
    li.dataset.id = String(e.id);
    li.dataset.code = e.case_code;
    li.dataset.action = e.action;
    return li;
  }
  // clip hides the items that do not fit whole: no half line at the bottom.
  function clip() {
    var bottom = feedEl.getBoundingClientRect().bottom + 0.5;
    Array.prototype.forEach.call(feedEl.children, function (li) {
      li.classList.toggle("cut", li.getBoundingClientRect().bottom > bottom);
    });
  }
  function addEvent(e) {
    if (seen[e.id]) {
      return;
    }
    seen[e.id] = true;
    var empty = feedEl.querySelector("li.empty");
    if (empty) {
      feedEl.removeChild(empty);
    }
    var li = feedItem(e);
    if (e.id > (cfg.last_event_id || 0)) { // new since the page was made, not the backlog
      li.classList.add("fresh");
      soon();
    }
    feedEl.insertBefore(li, feedEl.firstChild);
    while (feedEl.children.length > FEED_MAX) {
      feedEl.removeChild(feedEl.lastChild);
    }
    clip();
    count("events");
  }
  function live(state) {
    var el = $("cmd-live");
    el.classList.toggle("off", state !== "live");
    el.textContent = t(state);
    root.dataset.live = state;
  }
  var es = null;
  function connect() {
    if (!window.EventSource) {
      return;
    }
    es = new EventSource(cfg.stream_url);
    es.addEventListener("open", function () {
      live("live");
    });
    es.addEventListener("case_event", function (m) {
      try {
        addEvent(JSON.parse(m.data));
      } catch (err) {
        // a malformed event: skip it
      }
    });
    es.addEventListener("error", function () {
      if (es.readyState === EventSource.CLOSED) {
        // Refused (signed out, or the server is away): try again later; the data
        // refresh notices a signed-out session and shows the sign-in page.
        live("offline");
        setTimeout(connect, 15000);
      } else {
        live("reconnecting");
      }
    });
  }

  feedEmpty();
  initHeat().then(function () {
    return refresh();
  }).then(schedule);
  connect();
})();
