/* Counselor console: sign in, fill a profile (or load one from a chat session), rank
 * programs with reasons and factor bars, adjust weights, ask "why not", compare, check
 * subsidy eligibility with rule traces, export a shortlist. Plain JS, no CDN. */
(function () {
  "use strict";
  var WEIGHTS = {fit: "契合度", shortage: "紧缺职业", brand: "培训品牌", outcomes: "培训效果",
                 cost: "个人费用", convenience: "方式和时间", progression: "等级晋升"};
  var DEFAULTS = {fit: 0.30, shortage: 0.15, brand: 0.10, outcomes: 0.15, cost: 0.10,
                  convenience: 0.10, progression: 0.10};
  var token = sessionStorage.getItem("jnt-console-token");
  var results = [];
  var picked = {};
  var $ = function (id) { return document.getElementById(id); };

  function api(path, body, raw) {
    var headers = {"Content-Type": "application/json"};
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(path, {method: body === undefined ? "GET" : "POST", headers: headers,
                        body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        if (raw && r.ok) return r.blob();
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) throw new Error(d.message || ("请求失败（" + r.status + "）"));
          return d;
        });
      });
  }

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  // -- sign in -------------------------------------------------------------------------
  function signedIn(name) {
    $("login").hidden = true; $("work").hidden = false;
    $("who").textContent = name ? "已登录：" + name : "已登录";
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    api("/v1/auth/login", {username: f.username.value, password: f.password.value})
      .then(function (d) {
        token = d.token; sessionStorage.setItem("jnt-console-token", token);
        signedIn(f.username.value);
      }, function (err) { $("login-error").textContent = err.message; });
  });
  if (token) signedIn("");

  // -- weights -------------------------------------------------------------------------
  Object.keys(WEIGHTS).forEach(function (k) {
    var label = el("label", {}, WEIGHTS[k] + " ");
    var input = el("input", {type: "range", min: "0", max: "1", step: "0.05", name: "w-" + k,
                             value: String(DEFAULTS[k]), "aria-label": "权重：" + WEIGHTS[k]});
    var out = el("output", {}, String(DEFAULTS[k]));
    input.addEventListener("input", function () { out.textContent = input.value; });
    label.appendChild(input); label.appendChild(out);
    $("weights").appendChild(label);
  });

  // -- profile -------------------------------------------------------------------------
  function profile() {
    var f = $("profile-form"), p = {};
    ["province", "city", "county", "interests_text", "skills_text", "travel", "mode", "schedule"]
      .forEach(function (k) { if (f[k].value.trim()) p[k] = f[k].value.trim(); });
    if (f.age.value) p.age = Number(f.age.value);
    if (f.groups.value.trim()) p.groups = f.groups.value.split(/[、,，;；]/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (f.certificates.value.trim()) {
      p.certificates = f.certificates.value.split(/[;；]/).map(function (s) {
        var parts = s.split(/[:：]/); return {occupation: (parts[0] || "").trim(), level: (parts[1] || "").trim()};
      }).filter(function (c) { return c.occupation; });
    }
    return p;
  }
  function weights() {
    var w = {};
    Object.keys(WEIGHTS).forEach(function (k) { w[k] = Number($("profile-form")["w-" + k].value); });
    return w;
  }
  function fill(p) {
    var f = $("profile-form");
    Object.keys(p || {}).forEach(function (k) {
      if (!f[k]) return;
      var v = p[k];
      if (k === "groups" && Array.isArray(v)) v = v.join("、");
      if (k === "certificates" && Array.isArray(v)) v = v.map(function (c) { return c.occupation + ":" + c.level; }).join("；");
      f[k].value = v;
    });
  }

  $("profile-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("form-error").textContent = "";
    var sid = $("profile-form").session_id.value.trim();
    var load = sid ? api("/v1/chat/sessions/" + encodeURIComponent(sid) + "/profile").then(function (d) { fill(d.profile || d); }) : Promise.resolve();
    load.then(match).catch(function (err) { $("form-error").textContent = err.message; });
  });

  function match() {
    return api("/v1/match", {profile: profile(), k: 10, weights: weights()}).then(function (d) {
      results = d.results; picked = {};
      renderAssumptions(d.assumptions || []);
      renderResults();
      renderCompare();
    }, function (err) { $("form-error").textContent = err.message; });
  }

  function renderAssumptions(list) {
    var ul = $("assumptions"); ul.textContent = "";
    list.forEach(function (a) { ul.appendChild(el("li", {}, a)); });
  }

  function renderResults() {
    var ol = $("results"); ol.textContent = "";
    results.forEach(function (r) {
      var li = el("li", {"data-program": r.program_id});
      var check = el("input", {type: "checkbox", "aria-label": "加入对比和候选清单：" + r.title});
      check.addEventListener("change", function () { picked[r.program_id] = check.checked; renderCompare(); });
      var title = el("strong", {}, r.title);
      li.appendChild(check); li.appendChild(document.createTextNode(" ")); li.appendChild(title);
      li.appendChild(el("div", {}, [r.provider, (r.province || "") + (r.city || ""), r.mode, r.level,
        "得分 " + r.score.toFixed(3), r.program_id].filter(Boolean).join(" ｜ ")));
      var reasons = el("ul");
      (r.reasons || []).forEach(function (x) { reasons.appendChild(el("li", {}, x)); });
      li.appendChild(reasons);
      var bars = el("div", {"class": "bars", role: "list", "aria-label": "各项得分"});
      Object.keys(r.factors).forEach(function (k) {
        var v = r.factors[k];
        bars.appendChild(el("span", {role: "listitem"}, WEIGHTS[k] || k));
        var bar = el("div", {"class": "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1",
                             "aria-valuenow": String(v), "aria-label": (WEIGHTS[k] || k)});
        var fillBar = el("span"); fillBar.style.width = Math.round(v * 100) + "%";
        bar.appendChild(fillBar); bars.appendChild(bar);
        bars.appendChild(el("span", {}, v.toFixed(2)));
      });
      li.appendChild(bars);
      ol.appendChild(li);
    });
  }

  function chosen() { return results.filter(function (r) { return picked[r.program_id]; }); }

  function renderCompare() {
    var box = $("compare"); box.textContent = "";
    var list = chosen();
    if (list.length < 2) { box.appendChild(el("p", {}, "已选 " + list.length + " 个。")); return; }
    var table = el("table"); var head = el("tr"); head.appendChild(el("th", {}, "项目"));
    list.slice(0, 3).forEach(function (r) { head.appendChild(el("th", {}, r.title)); });
    table.appendChild(head);
    [["培训机构", "provider"], ["地点", "city"], ["方式", "mode"], ["等级", "level"], ["课时", "hours"],
     ["收费（元）", "fee_yuan"], ["开班日期", "start_date"], ["总分", "score"]].forEach(function (row) {
      var tr = el("tr"); tr.appendChild(el("th", {}, row[0]));
      list.slice(0, 3).forEach(function (r) { tr.appendChild(el("td", {}, r[row[1]] === null || r[row[1]] === undefined ? "—" : String(r[row[1]]))); });
      table.appendChild(tr);
    });
    var tr = el("tr"); tr.appendChild(el("th", {}, "理由"));
    list.slice(0, 3).forEach(function (r) { tr.appendChild(el("td", {}, (r.reasons || []).join("；"))); });
    table.appendChild(tr);
    box.appendChild(table);
  }

  // -- why not, guide, eligibility ----------------------------------------------------------
  $("why-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = e.target.program_id.value.trim(); if (!id) return;
    api("/v1/match", {profile: profile(), k: 10, weights: weights(), why_not: id}).then(function (d) {
      $("why").textContent = d.excluded ? d.rules.map(function (r) { return r.reason; }).join("；")
        : "没有被排除，排在第 " + d.rank + " 位。" + (d.behind || []).join("；");
    }, function (err) { $("why").textContent = err.message; });
  });

  $("guide-btn").addEventListener("click", function () {
    api("/v1/match/guide", {profile: profile(), k: 5}).then(function (d) {
      $("guide").textContent = d.stable ? "推荐已稳定，不需要再问了。" :
        "建议问：" + d.next_question.question + "（" + d.next_question.options.join(" / ") + "）";
    }, function (err) { $("guide").textContent = err.message; });
  });

  $("eligibility-btn").addEventListener("click", function () {
    var box = $("eligibility"); box.textContent = "";
    api("/v1/eligibility", {profile: profile()}).then(function (d) {
      (d.results || []).filter(function (r) { return r.verdict; }).forEach(function (r) {
        var det = el("details", {"class": "trace"});
        det.appendChild(el("summary", {}, "【" + ({yes: "符合", no: "不符合", conditional: "要看条件"}[r.verdict] || r.verdict) + "】" + r.title));
        var ul = el("ul");
        (r.trace || []).filter(function (t) { return t.kind === "leaf"; }).forEach(function (t) {
          var li = el("li", {"class": t.status}, t.description + "：" + ({pass: "满足", fail: "不满足", unknown: "未知"}[t.status] || t.status));
          if (t.cite) li.appendChild(el("div", {}, "依据：" + t.cite.section + "“" + t.cite.quote + "”"));
          ul.appendChild(li);
        });
        det.appendChild(ul); box.appendChild(det);
      });
      if (!box.childNodes.length) box.textContent = "没有可判断的规则；请补充画像。";
    }, function (err) { box.textContent = err.message; });
  });

  // -- shortlist ---------------------------------------------------------------------------
  $("export-xlsx").addEventListener("click", function () {
    var list = chosen(); if (!list.length) { alert("请先勾选项目。"); return; }
    var ids = list.map(function (r) { return r.program_id; });
    api("/v1/handout.xlsx", {profile: profile(), program_ids: ids, weights: weights()}, true).then(function (blob) {
      var a = el("a", {href: URL.createObjectURL(blob), download: "培训项目推荐单.xlsx"});
      document.body.appendChild(a); a.click(); a.remove();
    }, function (err) { $("form-error").textContent = err.message; });
  });
  $("print").addEventListener("click", function () { renderCompare(); window.print(); });
})();
