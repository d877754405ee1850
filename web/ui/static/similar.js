// gridloop report form: "this looks already reported" (issue #9). Progressive
// enhancement: without this file the server shows the matches after the first submit.
// With it, once the description and the location are in, the form asks
// POST /api/v1/similar and lists the open cases that look like the same problem, each
// with "this is my problem — follow it"; "none of these" lets the citizen go on, and
// the form tells the server (similar_seen) not to ask again.
(function () {
  "use strict";
  var box = document.getElementById("similar");
  if (!box || !window.fetch || !window.JSON) {
    return;
  }
  var form = box.closest("form");
  var desc = document.getElementById("description");
  var lat = document.getElementById("lat");
  var lng = document.getElementById("lng");
  var cat = document.getElementById("category_code");
  var seen = document.getElementById("similar_seen");
  var list = document.getElementById("similar-list");
  var none = document.getElementById("similar-none");
  var btn = document.getElementById("similar-check");
  var D = box.dataset;
  btn.hidden = false;
  var lastKey = "", lastFound = 0, busy = null;

  function ready() {
    return desc.value.trim().length >= 4 && isFinite(parseFloat(lat.value)) && isFinite(parseFloat(lng.value));
  }
  function key() {
    return [desc.value.trim(), lat.value.trim(), lng.value.trim(), cat ? cat.value : ""].join("|");
  }
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
  function excerpt(s, n) {
    return s.length > n ? s.slice(0, n) + "…" : s;
  }

  // follow posts the citizen's choice: they become a follower of the case.
  function follow(code) {
    var f = document.createElement("form");
    f.method = "post";
    f.action = "/report/follow";
    var add = function (name, value) {
      var i = document.createElement("input");
      i.type = "hidden";
      i.name = name;
      i.value = value;
      f.appendChild(i);
    };
    add("code", code);
    add("idem", form.elements.idem ? form.elements.idem.value : "");
    add("reporter_phone", form.elements.reporter_phone ? form.elements.reporter_phone.value : "");
    document.body.appendChild(f);
    f.submit();
  }

  function show(items) {
    list.textContent = "";
    items.forEach(function (m) {
      var b = node("button", "primary follow", [D.follow]);
      b.type = "button";
      b.addEventListener("click", function () {
        b.disabled = true;
        follow(m.code);
      });
      var facts = D.distance.replace("{n}", m.distance_m);
      if (m.interest) {
        facts += " · " + D.interest.replace("{n}", m.interest);
      }
      var li = node("li", "similar-item", [
        node("p", "", [node("span", "code", [m.code]), " ", node("span", "badge st-" + m.status, [m.status_label]), " ", m.category || ""]),
        node("p", "pre small", [excerpt(m.description, 160)]),
        node("p", "muted small", [(m.address ? m.address + " · " : "") + facts]),
        b
      ]);
      li.dataset.code = m.code;
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
    box.dataset.count = String(items.length);
  }

  // check asks for similar cases; it resolves to how many it found.
  function check() {
    if (!ready()) {
      return Promise.resolve(0);
    }
    var k = key();
    if (k === lastKey) {
      return busy || Promise.resolve(lastFound);
    }
    lastKey = k;
    box.dataset.state = "checking";
    btn.textContent = D.checking;
    busy = fetch(D.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ lat: parseFloat(lat.value), lng: parseFloat(lng.value), category_code: cat ? cat.value : "", description: desc.value })
    }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    }).then(function (res) {
      var items = res.items || [];
      show(items);
      lastFound = items.length;
      box.dataset.state = items.length ? "shown" : "none";
      btn.textContent = items.length ? btn.dataset.label : D.nothing;
      return items.length;
    }).catch(function () {
      lastKey = "";
      box.dataset.state = "error";
      btn.textContent = btn.dataset.label;
      return -1; // the server checks on submit instead
    }).finally(function () {
      busy = null;
    });
    return busy;
  }

  btn.dataset.label = btn.textContent;
  btn.addEventListener("click", function () {
    lastKey = "";
    check();
  });
  [desc, lat, lng, cat].forEach(function (el) {
    if (el) {
      el.addEventListener("change", function () {
        check();
      });
    }
  });
  none.addEventListener("click", function () {
    seen.value = "1";
    box.hidden = true;
    box.dataset.state = "dismissed";
  });

  // On submit: check first if the form has changed since the last check. Found nothing:
  // go on (and spare the server its own check). Found something: show it and stop.
  form.addEventListener("submit", function (e) {
    if (seen.value || !ready()) {
      return;
    }
    if (key() === lastKey && !busy) {
      if (lastFound === 0) {
        seen.value = "1";
      } else if (lastFound > 0 && !box.hidden) {
        seen.value = "1"; // the citizen saw the list and went on
      }
      return;
    }
    e.preventDefault();
    check().then(function (n) {
      if (n === 0) {
        seen.value = "1";
      }
      if (n <= 0) {
        form.submit();
      } else {
        box.scrollIntoView({ block: "start" });
      }
    });
  });
})();
